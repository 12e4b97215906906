import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ROOT } from '../sandbox/bootstrap';
import { ConfigError, InputError, parseConfig } from '../config';
import { parseRunInput } from '../runbooks/registry';
import { runCli, startWorker, startWorld, temporalAddress, waitFor, type TestWorld } from './support/harness';

const FILE = '/cfg/runway.yml';
const SECRET = 'xoxb-123-secret';
/** The shape of every problem line: `file:line:col path: message`, the path being one word. */
/** `file:line:col path: message`, where a path is one word or has quoted keys (`hosts["web 1"]`). */
const LINE_SHAPE = /^\S+:\d+:\d+ (?:[^\s"]|"(?:[^"\\]|\\.)*")+: .+$/;

/** YAML text from lines, so a row's line numbers can be read off its array indexes (+1). */
const yml = (...lines: string[]) => lines.join('\n') + '\n';

/** A valid `ssh:` section (lines 1–4) for rows whose problem is elsewhere. */
const SSH = ['ssh:', '  user: deploy', '  agent: true', '  knownHosts: kh'];

/** An expected problem: the exact `line:col path` plus a fragment (or pattern) of its message. */
const at = (where: string, fragment: string | RegExp) => ({ where, fragment });
type Expected = string | ReturnType<typeof at>;

/** The problem lines of a config, sorted by position (the loader reports them in schema order). */
function problemLines(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const pos = (l: string) => (/:(\d+):(\d+) /.exec(l) ?? []).slice(1).map(Number);
    return err.message.split('\n').sort((a, b) => pos(a)[0] - pos(b)[0] || pos(a)[1] - pos(b)[1]);
  }
  throw new Error('the config was accepted');
}

function matches(line: string, expected: Expected): boolean {
  if (typeof expected === 'string') return line === `${FILE}:${expected}`;
  const prefix = `${FILE}:${expected.where}: `;
  if (!line.startsWith(prefix)) return false;
  const message = line.slice(prefix.length);
  return typeof expected.fragment === 'string' ? message.includes(expected.fragment) : expected.fragment.test(message);
}

/** An environment with one database host (lines 5–8). */
const DB_ENV = ['environments:', '  prod:', '    hosts:', '      db-1: { address: 10.0.0.5, roles: [db] }'];

const NAME_RULE = 'expected a name of letters, digits, ".", "_" or "-" (max 63)';

const BAD_CONFIGS: Array<[string, string, Expected[]]> = [
  ['unknown top-level key', yml(...SSH, 'environments: {}', 'colour: blue'), ['6:1 colour: unknown key']],
  [
    'unknown nested key (points at the key, not the value)',
    yml('temporal:', '  adress: temporal.example.com:7233', ...SSH, 'environments: {}'),
    ['2:3 temporal.adress: unknown key (did you mean address?)'],
  ],
  [
    'unknown key two levels down',
    yml(...SSH, '  retry:', '    attempts: 3', '    backof: 2s', 'environments: {}'),
    ['7:5 ssh.retry.backof: unknown key'],
  ],
  [
    'unknown key inside a flow map',
    yml(...SSH, 'environments:', '  staging:', '    hosts:', '      web-1: { address: 10.0.0.1, role: web }'),
    ['8:35 environments.staging.hosts.web-1.role: unknown key (did you mean roles?)'],
  ],
  [
    'wrong types (each at its value)',
    yml('ssh:', '  user: deploy', '  agent: "yes"', '  knownHosts: kh', '  port: "22"', 'environments: {}'),
    ['3:10 ssh.agent: expected boolean, received string', '5:9 ssh.port: expected number, received string'],
  ],
  [
    'ssh.key given as a path instead of { file }',
    yml('ssh:', '  user: deploy', '  key: ~/.ssh/id_ed25519', '  knownHosts: kh', 'environments: {}'),
    ['3:8 ssh.key: expected object, received string'],
  ],
  [
    'temporal.tls neither true nor files',
    yml('temporal:', '  address: temporal.example.com:7233', '  tls: false', ...SSH, 'environments: {}'),
    // The message must say what is accepted, not a bare "Invalid input".
    [at('3:8 temporal.tls', /\btrue\b/)],
  ],
  [
    'missing ssh.user and ssh.knownHosts',
    yml('ssh:', '  agent: true', 'environments: {}'),
    [at('2:3 ssh.user', /required/), at('2:3 ssh.knownHosts', /required/)],
  ],
  [
    'missing host address',
    yml(...SSH, 'environments:', '  staging:', '    hosts:', '      web-1: { roles: [web] }'),
    [at('8:14 environments.staging.hosts.web-1.address', /required/)],
  ],
  [
    'bad duration',
    yml(...SSH, '  connectTimeout: 5x', 'environments: {}'),
    ['5:19 ssh.connectTimeout: expected a duration like 30s, 5m or 1h, got "5x"'],
  ],
  [
    'slack token given as a value',
    yml(...SSH, 'environments: {}', 'notify:', '  slack:', "    channel: '#ops'", `    token: ${SECRET}`),
    ['9:12 notify.slack.token: secrets are references, not values: write { env: NAME } or { file: PATH }'],
  ],
  [
    'ssh key passphrase given as a value',
    yml(
      'ssh:',
      '  user: deploy',
      '  key: { file: ~/.ssh/id, passphrase: hunter2 }',
      '  knownHosts: kh',
      'environments: {}',
    ),
    ['3:39 ssh.key.passphrase: secrets are references, not values: write { env: NAME } or { file: PATH }'],
  ],
  [
    'empty hosts map',
    yml(...SSH, 'environments:', '  staging:', '    hosts: {}'),
    ['7:12 environments.staging.hosts: an environment needs at least one host'],
  ],
  [
    'hosts as a list',
    yml(...SSH, 'environments:', '  staging:', '    hosts: [web-1, web-2]'),
    [at('7:12 environments.staging.hosts', 'received array')],
  ],
  [
    'bad host name (points at the name, says what a name is)',
    yml(...SSH, 'environments:', '  staging:', '    hosts:', '      web@1: { address: 10.0.0.1 }'),
    [`8:7 environments.staging.hosts.web@1: ${NAME_RULE}`],
  ],
  [
    'bad environment name',
    yml(...SSH, 'environments:', '  Prod/EU:', '    hosts:', '      web-1: { address: 10.0.0.1 }'),
    [`6:3 environments.Prod/EU: ${NAME_RULE}`],
  ],
  [
    'bad role name',
    yml(
      ...SSH,
      'environments:',
      '  staging:',
      '    hosts:',
      '      web-1: { address: 10.0.0.1, roles: [web, db/primary] }',
    ),
    [`8:48 environments.staging.hosts.web-1.roles[1]: ${NAME_RULE}`],
  ],
  [
    'port out of range',
    yml(
      ...SSH,
      'environments:',
      '  staging:',
      '    hosts:',
      '      web-1:',
      '        address: 10.0.0.1',
      '        port: 70000',
    ),
    ['10:15 environments.staging.hosts.web-1.port: expected a port number (1-65535)'],
  ],
  [
    'concurrency below 1',
    yml(
      ...SSH,
      'environments:',
      '  staging:',
      '    concurrency: 0',
      '    hosts:',
      '      web-1: { address: 10.0.0.1 }',
    ),
    [at('7:18 environments.staging.concurrency', '>=1')],
  ],
  [
    'rule: duplicate address:port in one environment (default port counts)',
    yml(
      ...SSH,
      'environments:',
      '  staging:',
      '    hosts:',
      '      web-1: { address: 10.0.0.1 }',
      '      web-2: { address: 10.0.0.1, port: 22 }',
    ),
    ['9:25 environments.staging.hosts.web-2.address: 10.0.0.1:22 is already host web-1 in this environment'],
  ],
  [
    'rule: neither key nor agent',
    yml('ssh:', '  user: deploy', '  knownHosts: kh', 'environments: {}'),
    ['2:3 ssh: set key.file or agent: true so Runway can log in'],
  ],
  [
    'rule: tls and apiKey with the embedded server',
    yml('temporal:', '  tls: true', '  apiKey: { env: TEMPORAL_API_KEY }', ...SSH, 'environments: {}'),
    [
      '2:8 temporal.tls: tls applies to an external cluster; set temporal.address',
      '3:11 temporal.apiKey: apiKey applies to an external cluster; set temporal.address',
    ],
  ],
  [
    'YAML syntax error: unclosed flow sequence',
    yml('ssh:', '  user: [deploy', 'environments: {}'),
    [at('3:1 yaml', 'end with a ]')],
  ],
  [
    'YAML syntax error: tab indentation',
    yml('ssh:', '\tuser: deploy', 'environments: {}'),
    ['2:1 yaml: Tabs are not allowed as indentation'],
  ],
  [
    'a backup set in an unknown environment',
    yml(
      ...SSH,
      ...DB_ENV,
      'backups:',
      '  app:',
      '    kind: postgres',
      '    environment: staging',
      '    host: db-1',
      '    database: app',
      '    dir: /b',
    ),
    ['12:18 backups.app.environment: unknown environment "staging" (known: prod)'],
  ],
  [
    'a backup set on an unknown host, copied to an unknown role',
    yml(
      ...SSH,
      ...DB_ENV,
      'backups:',
      '  app:',
      '    kind: postgres',
      '    environment: prod',
      '    host: db-9',
      '    database: app',
      '    dir: /b',
      '    copyTo: { role: vault }',
    ),
    [
      '13:11 backups.app.host: no host "db-9" in environment prod',
      '16:21 backups.app.copyTo.role: no host in environment prod has role "vault"',
    ],
  ],
  [
    'a backup set with both host and role, or an unknown kind',
    yml(
      ...SSH,
      ...DB_ENV,
      'backups:',
      '  a:',
      '    kind: files',
      '    environment: prod',
      '    host: db-1',
      '    role: db',
      '    paths: [/etc]',
      '    dir: /b',
      '  b:',
      '    kind: mysql',
      '    environment: prod',
      '    dir: /b',
    ),
    [
      '13:11 backups.a.host: give host or role (one of them)',
      '18:11 backups.b.kind: expected kind: postgres or kind: files',
    ],
  ],
  [
    'a database password given as a value, a schedule that is no cron expression',
    yml(
      ...SSH,
      ...DB_ENV,
      'backups:',
      '  app:',
      '    kind: postgres',
      '    environment: prod',
      '    host: db-1',
      '    database: app',
      '    dir: /b',
      '    connection: { password: hunter2 }',
      "    schedule: { backup: 'every day' }",
    ),
    [
      '16:29 backups.app.connection.password: secrets are references, not values: write { env: NAME } or { file: PATH }',
      at('17:25 backups.app.schedule.backup', /cron expression of 5 fields .* or \{ every: 1d \}/),
    ],
  ],
  [
    'a drill of an unknown set',
    yml(...SSH, ...DB_ENV, 'drills:', '  dr:', '    backup: nope', '    target: { host: db-1 }'),
    ['11:13 drills.dr.backup: unknown backup set "nope" (known: none)'],
  ],
  [
    'a drill with an unknown placeholder',
    yml(
      ...SSH,
      ...DB_ENV,
      'backups:',
      '  app:',
      '    kind: files',
      '    environment: prod',
      '    host: db-1',
      '    paths: [/etc]',
      '    dir: /b',
      'drills:',
      '  dr:',
      '    backup: app',
      '    target: { host: db-1 }',
      "    app: { start: 'run {{databse}}', stop: x }",
    ),
    [
      at(
        '20:19 drills.dr.app.start',
        'unknown placeholder {{databse}} (known: database, port, host, address, dir, drill, set)',
      ),
    ],
  ],
  [
    'a postgres drill without a database, http smoke checks without a port',
    yml(
      ...SSH,
      ...DB_ENV,
      'backups:',
      '  app:',
      '    kind: postgres',
      '    environment: prod',
      '    host: db-1',
      '    database: app',
      '    dir: /b',
      'drills:',
      '  dr:',
      '    backup: app',
      '    target: { host: db-1 }',
      '    smoke: [{ http: { path: /health } }]',
    ),
    [
      '19:13 drills.dr.target.database: a postgres drill needs the database to restore into',
      '18:5 drills.dr.app.port: http smoke checks need app.port',
    ],
  ],
  [
    'a certificate with a bad domain and a renew-before that is neither a duration nor a share',
    yml(
      ...SSH,
      ...DB_ENV,
      'certificates:',
      '  site:',
      '    environment: prod',
      '    domains: [example.com, "bad domain"]',
      '    endpoints: [{ host: db-1 }]',
      '    renewBefore: soon',
    ),
    [
      '12:28 certificates.site.domains[1]: expected a domain name such as example.com or *.example.com',
      '14:18 certificates.site.renewBefore: expected a duration like 30d or a share of the lifetime like 33%',
    ],
  ],
  [
    'certificate endpoints no host serves',
    yml(
      ...SSH,
      ...DB_ENV,
      'certificates:',
      '  site:',
      '    environment: prod',
      '    domains: [example.com]',
      '    endpoints: [{ role: lb }, { host: web-9, port: 8443 }]',
    ),
    [
      '13:25 certificates.site.endpoints[0].role: no host in environment prod has role "lb"',
      '13:39 certificates.site.endpoints[1].host: no host "web-9" in environment prod',
    ],
  ],
  [
    'a renewed certificate with a plain-http directory, a path that climbs, no key path and an unknown placeholder',
    yml(
      ...SSH,
      ...DB_ENV,
      'certificates:',
      '  site:',
      '    environment: prod',
      '    domains: [example.com]',
      '    endpoints: [{ host: db-1 }]',
      '    acme:',
      '      directory: http://acme.example/dir',
      '      accountKey: { file: acme.pem }',
      '      challenge: { http01: { host: db-1, webroot: ../www } }',
      '    install: { host: db-1, certificate: tls/site.crt, test: "nginx -t {{nope}}", reload: nginx -s reload }',
    ),
    [
      at('15:18 certificates.site.acme.directory', /https URL of an ACME directory/),
      at('17:51 certificates.site.acme.challenge.http01.webroot', /must not contain ".."/),
      at('18:14 certificates.site.install.key', /required/),
      at('18:61 certificates.site.install.test', /unknown placeholder \{\{nope\}\}/),
    ],
  ],
  [
    'renewal settings that cannot work together: acme without install, a wildcard, an unknown webroot role',
    yml(
      ...SSH,
      ...DB_ENV,
      'certificates:',
      '  site:',
      '    environment: prod',
      '    domains: ["*.example.com"]',
      '    endpoints: [{ host: db-1 }]',
      '    acme:',
      '      directory: https://acme.example/dir',
      '      accountKey: { env: ACME_KEY }',
      '      challenge: { http01: { role: lb, webroot: /var/www } }',
      '  other:',
      '    environment: prod',
      '    domains: [example.com]',
      '    endpoints: [{ host: db-1 }]',
      '    schedule: { renew: "0 6 * * *" }',
    ),
    [
      at('15:7 certificates.site.acme', 'a renewed certificate needs install (hosts, paths, commands)'),
      at('17:36 certificates.site.acme.challenge.http01.role', 'no host in environment prod has role "lb"'),
      at('12:14 certificates.site.domains', /\*\.example\.com: a wildcard needs the dns-01 challenge/),
      at('22:24 certificates.other.schedule.renew', 'only an entry with acme can be renewed'),
    ],
  ],
  ['duplicate YAML key', yml(...SSH, '  user: other', 'environments: {}'), [at('5:3 yaml', 'unique')]],
  ['empty file', '', [at('1:1 ssh', /required/), at('1:1 environments', /required/)]],
  ['a list, not a map', yml('- ssh', '- environments'), ['1:1 (root): expected object, received array']],
];

describe('parseConfig rejects bad configs, one line per problem', () => {
  it.each(BAD_CONFIGS)('%s', (_name, text, expected) => {
    const lines = problemLines(text);
    const unmatched = expected.filter((e) => !lines.some((l) => matches(l, e)));
    const unexpected = lines.filter((l) => !expected.some((e) => matches(l, e)));
    expect({ lines, unmatched, unexpected }).toEqual({ lines, unmatched: [], unexpected: [] });
    expect(lines).toHaveLength(expected.length);
  });

  it('prints every problem as one `file:line:col path: message` line', () => {
    for (const [, text] of BAD_CONFIGS) {
      try {
        parseConfig(text, FILE);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        const { message, problems } = err as ConfigError;
        expect(message.split('\n')).toHaveLength(problems.length);
        for (const line of message.split('\n')) expect(line).toMatch(LINE_SHAPE);
      }
    }
  });

  it.each([
    [
      'a host name with a space',
      yml(...SSH, 'environments:', '  staging:', '    hosts:', '      "web 1": { address: 10.0.0.1 }'),
    ],
    ['an unknown key with a newline', yml(...SSH, 'environments: {}', '"colour\\nblue": 1')],
    ['a duration with a newline', yml(...SSH, '  connectTimeout: "5\\nx"', 'environments: {}')],
  ])('keeps that shape for %s', (_name, text) => {
    const err = captureConfigError(text);
    expect(err.message.split('\n')).toHaveLength(err.problems.length);
    for (const line of err.message.split('\n')) expect(line).toMatch(LINE_SHAPE);
  });

  const withNotify = (...lines: string[]) => yml(...SSH, 'environments: {}', 'notify:', ...lines);
  it.each([
    ['a plain token', withNotify('  slack:', '    channel: ops', `    token: ${SECRET}`)],
    ['a quoted token', withNotify('  slack:', '    channel: ops', `    token: "${SECRET}"`)],
    ['a block-scalar token', withNotify('  slack:', '    channel: ops', '    token: |', `      ${SECRET}`)],
    ['a token in a flow map', withNotify(`  slack: { channel: ops, token: ${SECRET} }`)],
    ['a token beside a typo', withNotify('  slack:', '    channel: ops', `    tokn: ${SECRET}`)],
    ['a token as an env name', withNotify('  slack:', '    channel: ops', `    token: { env: ${SECRET} }`)],
    ['a token under a made-up key', withNotify('  slack:', '    channel: ops', `    token: { value: ${SECRET} }`)],
    ['a token in a YAML syntax error', withNotify(`  slack: { channel: ops, token: "${SECRET} }`)],
    [
      'a passphrase',
      yml(
        'ssh:',
        '  user: deploy',
        `  key: { file: k, passphrase: ${SECRET} }`,
        '  knownHosts: kh',
        'environments: {}',
      ),
    ],
  ])('never echoes a secret value: %s', (_name, text) => {
    const err = captureConfigError(text);
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err.problems)).not.toContain(SECRET);
  });

  it('accepts the same address on different ports and in different environments', () => {
    const text = yml(
      ...SSH,
      'environments:',
      '  staging:',
      '    hosts:',
      '      web-1: { address: 10.0.0.1 }',
      '      web-2: { address: 10.0.0.1, port: 2222 }',
      '  production:',
      '    hosts:',
      '      web-1: { address: 10.0.0.1 }',
    );
    expect(Object.keys(parseConfig(text, FILE).config.environments)).toEqual(['staging', 'production']);
  });
});

function captureConfigError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('parseRunInput', () => {
  it.each([
    ['batch 0', { batchSize: 0 }, 'input.batchSize: Too small: expected number to be >=1'],
    ['batch 0%', { batchSize: '0%' }, 'input.batchSize: expected a count or a percentage like 25%'],
    ['role and hosts', { role: 'web', hosts: ['web-1'] }, 'input.role: give role or hosts, not both'],
    ['bad timeout', { timeout: '5x' }, 'input.timeout: expected a duration like 30s, 5m or 1h, got "5x"'],
    ['unknown key', { extra: 1 }, 'input.extra: unknown key'],
  ])('%s', (_name, extra, expected) => {
    expect(() => parseRunInput('exec', { environment: 'test', command: 'true', ...extra })).toThrow(
      new InputError(expected),
    );
  });
});

describe("the README's backup example", () => {
  it('is a valid backups and drills section', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /### Backups and DR drills[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1];
    const env = [
      'environments:',
      '  production:',
      '    hosts:',
      '      db-1: { address: 10.0.0.1 }',
      '      db-2: { address: 10.0.0.2 }',
    ];
    const { config } = parseConfig(yml(...SSH, ...env) + block, FILE);
    expect(config.backups['app-db'].schedule).toEqual({ backup: '0 2 * * *', verify: '30 2 * * *' });
    expect(config.drills['app-db-weekly'].schedule).toBe('0 4 * * 0');
  });
});

describe('examples/runway.yml', () => {
  const file = join(ROOT, 'examples', 'runway.yml');
  const text = readFileSync(file, 'utf8');

  it('is accepted: two environments of web, db and lb hosts, both deploy strategies, a referenced Slack token', () => {
    const { config } = parseConfig(text, file);
    expect(config.temporal.address).toBe('embedded');
    expect(Object.keys(config.environments)).toEqual(['staging', 'production']);
    for (const env of Object.values(config.environments)) {
      const roles = new Set(Object.values(env.hosts).flatMap((h) => h.roles));
      expect([...roles].sort()).toEqual(['db', 'lb', 'web']);
    }
    expect(config.environments.production.approval).toMatchObject({
      approvers: [{ name: 'alice' }, { name: 'bob' }],
      timeout: 1_800_000,
    });
    expect(Object.values(config.services).map((s) => s.strategy)).toEqual(['blue-green', 'rolling']);
    expect(config.ssh.key?.file).toMatch(/^\/.*runway_ed25519$/);
    expect(config.notify.slack?.token).toEqual({ env: 'SLACK_TOKEN' });
    expect(config.backups['app-db']).toMatchObject({
      keep: { count: 14, maxAge: 30 * 86_400_000 },
      copyTo: { host: 'db-2' },
    });
    expect(config.backups['app-db'].schedule).toEqual({ backup: '0 2 * * *', verify: '30 2 * * *' });
    expect(config.drills['app-db-weekly'].objectives).toEqual({ rto: 900_000, rpo: 26 * 3_600_000 });
  });

  it('has a commented external-cluster block that is accepted once swapped in', () => {
    const embedded = /^temporal:\n(?: {2}.*\n)+/m;
    const external = /^# temporal:\n(?:# {3}.*\n)+/m;
    expect(text).toMatch(embedded);
    expect(text).toMatch(external);
    const block = external.exec(text)![0].replace(/^# /gm, '');
    const { config } = parseConfig(text.replace(embedded, block), file);
    expect(config.temporal).toMatchObject({ tls: true, apiKey: { env: 'TEMPORAL_API_KEY' } });
    expect(config.temporal.address).not.toBe('embedded');
  });
});

describe('runway config check', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runway-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with every problem line on stderr', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      yml('ssh:', '  user: deploy', '  agent: "yes"', '  knownHosts: kh', 'environments: {}', 'colour: blue'),
    );
    const result = await runCli(['config', 'check', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^runway: /);
    expect(result.stderr).toContain(`${file}:3:10 ssh.agent: expected boolean, received string`);
    expect(result.stderr).toContain(`${file}:6:1 colour: unknown key`);
  });

  it('exits 0 for a good file', async () => {
    const file = join(dir, 'good.yml');
    writeFileSync(file, yml(...SSH, 'environments:', '  staging:', '    hosts:', '      web-1: { address: 10.0.0.1 }'));
    const result = await runCli(['config', 'check', file]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^${file}: ok \\(`));
  });

  it('exits 2 naming a missing file', async () => {
    const file = join(dir, 'nope.yml');
    const result = await runCli(['config', 'check', file]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`runway: ${file}:1:1 (root): file not found`);
  });
});

describe('runway exec with a bad config or input starts nothing', () => {
  let world: TestWorld;
  let connection: Connection;
  let client: Client;
  let hostDir: string;
  let hostFilesBefore: string[];
  let before: Counts;

  interface Counts {
    queue: number;
    exec: number;
  }
  /** Runs this world's config could start (its task queue), and exec runs anywhere on the server. */
  async function counts(): Promise<Counts> {
    const queue = await client.workflow.count(`TaskQueue="${world.taskQueue}"`);
    const exec = await client.workflow.count('RunwayRunbook="exec"');
    return { queue: queue.count, exec: exec.count };
  }
  const hostFiles = () => (readdirSync(hostDir, { recursive: true }) as string[]).sort();

  beforeAll(async () => {
    world = await startWorld('config', 1);
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
    hostDir = world.sandbox.hosts[0].dir;
    hostFilesBefore = hostFiles();
    before = await counts();
  });
  afterAll(async () => {
    await connection?.close();
    await world?.stop();
  });

  /** Runs `runway exec` and returns its single stderr line (without the `runway: ` prefix). */
  async function execFails(configFile: string, args: string[]): Promise<string> {
    const result = await runCli(['-c', configFile, 'exec', ...args, '--', 'touch', join(hostDir, 'RAN')]);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^runway: /);
    expect(result.code).toBe(2);
    return lines[0].slice('runway: '.length);
  }

  it('refuses a bad config file', async () => {
    const text = readFileSync(world.configFile, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const bad = join(world.dir, 'bad.yml');
    writeFileSync(bad, text + 'colour: blue\n');
    const line = text.split('\n').length; // the appended line
    expect(await execFails(bad, ['-e', 'test', '-r', 'web'])).toBe(`${bad}:${line}:1 colour: unknown key`);
  });

  it('refuses an unknown environment', async () => {
    expect(await execFails(world.configFile, ['-e', 'nope', '-r', 'web'])).toBe(
      'input.environment: unknown environment "nope" (known: test)',
    );
  });

  it('refuses an unknown role', async () => {
    expect(await execFails(world.configFile, ['-e', 'test', '-r', 'nope'])).toBe(
      'input.role: no host in test has role "nope"',
    );
  });

  it('refuses unknown hosts', async () => {
    expect(await execFails(world.configFile, ['-e', 'test', '-H', 'nope'])).toBe('input.hosts: not in test: nope');
  });

  it('refuses a batch of 0', async () => {
    expect(await execFails(world.configFile, ['-e', 'test', '-r', 'web', '--batch', '0'])).toMatch(
      /^input\.batchSize: .*>=1/,
    );
  });

  it('refuses a bad timeout', async () => {
    expect(await execFails(world.configFile, ['-e', 'test', '-r', 'web', '--timeout', '5x'])).toBe(
      'input.timeout: expected a duration like 30s, 5m or 1h, got "5x"',
    );
  });

  it('started no workflow and left the host untouched', async () => {
    await new Promise((r) => setTimeout(r, 1_000)); // visibility is eventually consistent
    expect(await counts()).toEqual(before);
    expect(hostFiles()).toEqual(hostFilesBefore);
  });

  it('(control) a valid exec is counted and does reach the host', async () => {
    const worker = await startWorker(world);
    try {
      const result = await runCli([
        '-c',
        world.configFile,
        'exec',
        '-e',
        'test',
        '-r',
        'web',
        '--',
        'touch',
        join(hostDir, 'RAN'),
      ]);
      expect(result.code).toBe(0);
    } finally {
      await worker.stop();
    }
    await waitFor('the run to be visible', async () => (await counts()).queue === before.queue + 1);
    expect(await counts()).toEqual({ queue: before.queue + 1, exec: before.exec + 1 });
    expect(hostFiles()).toContain('RAN');
  });
});

describe('services in config', () => {
  const base = [
    'ssh: { user: deploy, knownHosts: kh, key: { file: k } }',
    'environments:',
    '  prod:',
    '    hosts: { web-1: { address: 10.0.0.1, roles: [web] } }',
    'services:',
    '  api:',
  ];
  const service = (lines: string[]) => [...base, ...lines.map((l) => `    ${l}`)].join('\n') + '\n';
  const good = [
    'strategy: blue-green',
    'roles: [web]',
    'dir: /srv/api',
    "artifact: { file: 'api-{{version}}.tgz' }",
    'start: systemctl start api@{{slot}}',
    'stop: systemctl stop api@{{slot}}',
    'health: { http: { path: /health } }',
    'slots: { blue: 8001, green: 8002 }',
    'loadBalancer: { role: web, upstreamFile: /etc/nginx/up.conf, upstream: api }',
  ];
  const without = (key: string) => good.filter((l) => !l.startsWith(`${key}:`));
  const problems = (text: string) => {
    try {
      parseConfig(text, '/cfg/runway.yml');
      return [];
    } catch (err) {
      return (err as Error).message.split('\n');
    }
  };

  it('accepts a complete blue-green service', () => {
    expect(problems(service(good))).toEqual([]);
  });

  it.each([
    [
      'an unknown placeholder',
      [...without('start'), 'start: systemctl start api@{{slto}}'],
      /:15:12 services\.api\.start: unknown placeholder \{\{slto\}\}/,
    ],
    ['blue-green without slots', without('slots'), /services\.api\.strategy: blue-green needs slots/],
    [
      'blue-green without a load balancer',
      without('loadBalancer'),
      /services\.api\.strategy: blue-green needs a loadBalancer/,
    ],
    [
      'rolling without a port',
      [...without('strategy').filter((l) => !l.startsWith('slots:')), 'strategy: rolling'],
      /services\.api\.strategy: rolling needs port/,
    ],
    [
      'the same port for both slots',
      [...without('slots'), 'slots: { blue: 8001, green: 8001 }'],
      /services\.api\.slots: blue and green need different ports/,
    ],
    [
      'no health check at all',
      [...without('health'), 'health: { timeout: 10s }'],
      /services\.api\.health: give health\.http or health\.command/,
    ],
    [
      'an artifact of neither kind',
      [...without('artifact'), 'artifact: { path: x }'],
      /services\.api\.artifact: expected \{ file, sha256File\? \} or \{ url, sha256Url \}/,
    ],
  ])('refuses %s, naming the key', (_name, lines, expected) => {
    const found = problems(service(lines));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });
});
