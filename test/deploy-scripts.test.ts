import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  envFile,
  fetchScript,
  healthWaitScript,
  healthWaitSeconds,
  instanceValues,
  knownArtifactScript,
  linkScript,
  loadReleaseEnvScript,
  liveScript,
  parseState,
  parseUpstreamRead,
  pruneReleasesScript,
  releaseSettingsScript,
  releasePaths,
  removeFileScript,
  removeReleaseScript,
  renderCommand,
  restartScript,
  serviceDir,
  stateScript,
  stopScript,
  unpackScript,
  upstreamConf,
  upstreamReadScript,
  upstreamSwitchScript,
  writeFileScript,
  type HostState,
} from '../runbooks/deploy/scripts';
import { HOSTILE } from './support/hostile';

/**
 * The deploy runbooks' shell scripts, builder by builder: the exact text for ordinary values (what runs in flight and
 * recorded histories rely on), then the script run under /bin/sh in a temp directory with hostile values, which must
 * each reach the shell as one literal word. No host, no Temporal: plain `sh -c`.
 */

/**
 * GNU `sha256sum FILE` escapes a file name holding a backslash or newline and then prefixes its line with `\`, so
 * `sha256sum … | cut -d ' ' -f 1` reads `\<hex>` for such paths. fetchScript and unpackScript work that way today (the
 * bytes are pinned); their tables split the hostile values on it and record what happens to these.
 */
const ESCAPED_BY_SHA256SUM = HOSTILE.filter(([, v]) => /[\\\n]/.test(v));
const READ_BY_SHA256SUM = HOSTILE.filter(([, v]) => !/[\\\n]/.test(v));

/** Siblings a split or glob of a hostile name would hit; they must survive a removal of the hostile one. */
const SIBLINGS = ['a', 'b', 'c', 'x', 'touch', 'pwned-not', 'keep', '-rf-not', 'two', 'lines'];

const lines = (...l: string[]) => l.join('\n');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'runway-deploy-scripts-'));
});
afterEach(() => {
  // Nothing a hostile value carried may have run: no file named `pwned` anywhere under the sandbox.
  const found = (readdirSync(root, { recursive: true }) as string[]).filter((p) => p.split('/').pop() === 'pwned');
  rmSync(root, { recursive: true, force: true });
  expect(found).toEqual([]);
});

/** Runs a script with /bin/sh in the sandbox. */
function attempt(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, HOSTILE_VAR: 'expanded' },
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a script that must succeed; returns its stdout. */
function sh(script: string): string {
  const r = attempt(script);
  if (r.status !== 0) throw new Error(`sh exited ${r.status}: ${r.stderr}\n--- script ---\n${script}`);
  return r.stdout;
}

/** A directory in the sandbox named by (possibly hostile) `name`, created. */
function dirNamed(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('renderCommand', () => {
  it.each([
    ['systemctl restart app@{{slot}}', { slot: 'blue' }, "systemctl restart app@'blue'"],
    ['run {{ version }} on {{port}}', { version: '1.4.2', port: 8080 }, "run '1.4.2' on '8080'"],
    ['echo {{slot}} {{port}}', { slot: '' }, "echo '' ''"],
    ['echo {{version}}', { version: "it's" }, `echo 'it'\\''s'`],
    ['nginx -t && nginx -s reload', { version: '1' }, 'nginx -t && nginx -s reload'],
  ])('%s with %j', (template, values, expected) => {
    expect(renderCommand(template, values)).toBe(expected);
  });

  it.each(HOSTILE)('a value with %s is one literal word', (_name, value) => {
    expect(sh(renderCommand(`printf '[%s]\\n' {{version}} {{release}}`, { version: value, release: value }))).toBe(
      `[${value}]\n[${value}]\n`,
    );
  });
});

describe('instanceValues', () => {
  const host = { name: 'web-1', address: '10.0.0.1' };
  it.each([
    [
      'a blue-green slot',
      { version: '1.4.2', slot: 'blue', port: 8001 },
      { release: '/srv/api/slots/blue', slot: 'blue', port: 8001 },
    ],
    ['a rolling instance', { version: '1.4.2', port: 8080 }, { release: '/srv/api/current', slot: '', port: 8080 }],
    ['no port (the load balancer)', { version: '' }, { release: '/srv/api/current', slot: '', port: undefined }],
  ])('%s', (_name, instance, expected) => {
    expect(instanceValues('/srv/api', instance, host, 'api', 'production')).toStrictEqual({
      version: instance.version,
      release: expected.release,
      dir: '/srv/api',
      slot: expected.slot,
      port: expected.port,
      address: '10.0.0.1',
      host: 'web-1',
      service: 'api',
      environment: 'production',
    });
  });
});

describe('serviceDir and releasePaths', () => {
  it.each([
    ['/srv/api', '/home/deploy', '/srv/api'],
    ['api', '/home/deploy', '/home/deploy/api'],
    ['api', '.', './api'],
    ['srv/api', 'hosts/web-1', 'hosts/web-1/srv/api'],
  ])('serviceDir(%j, %j)', (dir, hostDir, expected) => {
    expect(serviceDir(dir, hostDir)).toBe(expected);
  });

  it.each([
    ['/srv/api', '1.4.2', '/srv/api/releases/1.4.2', '/srv/api/releases/.1.4.2.tar.gz'],
    ['./api', 'v1+build.7', './api/releases/v1+build.7', './api/releases/.v1+build.7.tar.gz'],
  ])('releasePaths(%j, %j)', (dir, version, release, tarball) => {
    expect(releasePaths(dir, version)).toStrictEqual({ release, tarball });
  });
});

describe('writeFileScript, removeFileScript, liveScript', () => {
  it.each([
    [
      '/srv/api/live',
      'blue',
      `printf %s 'blue' > '/srv/api/live.runway-new' && mv -f '/srv/api/live.runway-new' '/srv/api/live'`,
    ],
    [
      '/etc/nginx/up.conf',
      "a\nb'c",
      `printf %s 'a\nb'\\''c' > '/etc/nginx/up.conf.runway-new' && mv -f '/etc/nginx/up.conf.runway-new' '/etc/nginx/up.conf'`,
    ],
    ['f', '', `printf %s '' > 'f.runway-new' && mv -f 'f.runway-new' 'f'`],
  ])('writeFileScript(%j, %j)', (path, content, expected) => {
    expect(writeFileScript(path, content)).toBe(expected);
  });

  it.each([
    ['/srv/api/live', `rm -f '/srv/api/live'`],
    ["/srv/it's", `rm -f '/srv/it'\\''s'`],
  ])('removeFileScript(%j)', (path, expected) => {
    expect(removeFileScript(path)).toBe(expected);
  });

  it.each([
    [
      '/srv/api',
      'green',
      `printf %s 'green' > '/srv/api/live.runway-new' && mv -f '/srv/api/live.runway-new' '/srv/api/live'`,
    ],
    ['/srv/api', undefined, `rm -f '/srv/api/live'`],
  ])('liveScript(%j, %j)', (dir, slot, expected) => {
    expect(liveScript(dir, slot)).toBe(expected);
  });

  it.each(HOSTILE)('writes exactly the given bytes, path and content with %s', (_name, value) => {
    const file = join(dirNamed(value), value);
    const content = `${value}\nline two with 'quotes' and "doubles" and \\n and %s\n\n`;
    sh(writeFileScript(file, content));
    expect(readFileSync(file, 'utf8')).toBe(content);
    expect(existsSync(`${file}.runway-new`)).toBe(false);
  });

  it.each([['-n'], ['%s%d\\n'], [''], ['\n\n'], ['  spaces  '], ['é€ ✓'], ['no trailing newline']])(
    'writes %j as it is (printf takes it as an argument, never as its format)',
    (content) => {
      const file = join(root, 'file');
      sh(writeFileScript(file, content));
      expect(readFileSync(file, 'utf8')).toBe(content);
    },
  );

  it.each(HOSTILE)('removes only the file named with %s, never a sibling', (_name, value) => {
    const dir = dirNamed('d');
    for (const s of [...SIBLINGS, value]) writeFileSync(join(dir, s), s);
    sh(removeFileScript(join(dir, value)));
    expect(readdirSync(dir).sort()).toEqual(SIBLINGS.filter((s) => s !== value).sort());
  });
});

describe('linkScript', () => {
  it.each([
    [
      '/srv/api',
      'slots/blue',
      '1.4.2',
      `mkdir -p '/srv/api/slots' && ln -sfn '../releases/1.4.2' '/srv/api/slots/blue.runway-new' && mv -fT '/srv/api/slots/blue.runway-new' '/srv/api/slots/blue'`,
    ],
    [
      '/srv/api',
      'current',
      '1.4.2',
      `mkdir -p '/srv/api' && ln -sfn 'releases/1.4.2' '/srv/api/current.runway-new' && mv -fT '/srv/api/current.runway-new' '/srv/api/current'`,
    ],
    [
      './api',
      'previous',
      '1.4.1',
      `mkdir -p './api' && ln -sfn 'releases/1.4.1' './api/previous.runway-new' && mv -fT './api/previous.runway-new' './api/previous'`,
    ],
    ['/srv/api', 'current', undefined, `rm -f '/srv/api/current'`],
    ['/srv/api', 'slots/green', undefined, `rm -f '/srv/api/slots/green'`],
  ])('linkScript(%j, %j, %j)', (dir, link, version, expected) => {
    expect(linkScript(dir, link, version)).toBe(expected);
  });

  it.each(HOSTILE)('links, relinks and unlinks a dir and version with %s', (_name, value) => {
    const dir = join(root, value);
    sh(linkScript(dir, 'slots/blue', value));
    sh(linkScript(dir, 'current', value));
    expect(readlinkSync(join(dir, 'slots', 'blue'))).toBe(`../releases/${value}`);
    expect(readlinkSync(join(dir, 'current'))).toBe(`releases/${value}`);
    sh(linkScript(dir, 'current', '2.0'));
    expect(readlinkSync(join(dir, 'current'))).toBe('releases/2.0');
    expect(readdirSync(dir).sort()).toEqual(['current', 'slots']);
    sh(linkScript(dir, 'current', undefined));
    sh(linkScript(dir, 'slots/blue', undefined));
    expect(readdirSync(dir)).toEqual(['slots']);
    expect(readdirSync(join(dir, 'slots'))).toEqual([]);
  });
});

describe('stopScript and restartScript', () => {
  it.each([
    ['systemctl stop api@{{slot}}', { slot: 'blue' }, "systemctl stop api@'blue'"],
    [
      '{{release}}/bin/stop --port {{port}}',
      { release: '/srv/api/current', port: 8080 },
      "'/srv/api/current'/bin/stop --port '8080'",
    ],
  ])('stopScript(%j, %j)', (stop, values, expected) => {
    expect(stopScript(stop, values)).toBe(expected);
  });

  it.each([
    [
      {
        stop: 'docker rm -f api-{{slot}} || true',
        start: 'docker run -d --name api-{{slot}} -p {{port}}:80 api:{{version}}',
      },
      { slot: 'green', port: 8002, version: '1.4.2' },
      "docker rm -f api-'green' || true\ndocker run -d --name api-'green' -p '8002':80 api:'1.4.2'",
    ],
    [
      { stop: 'systemctl stop api', start: 'systemctl start api' },
      { version: '1.4.2' },
      'systemctl stop api\nsystemctl start api',
    ],
  ])('restartScript(%j, %j)', (templates, values, expected) => {
    expect(restartScript(templates, values)).toBe(expected);
  });

  it.each(HOSTILE)('stop then start, each value with %s one word', (_name, value) => {
    const templates = {
      stop: `printf 'stop[%s]\\n' {{version}} >> log`,
      start: `printf 'start[%s|%s]\\n' {{version}} {{release}} >> log`,
    };
    sh(restartScript(templates, { version: value, release: value }));
    sh(stopScript(templates.stop, { version: value }));
    expect(readFileSync(join(root, 'log'), 'utf8')).toBe(`stop[${value}]\nstart[${value}|${value}]\nstop[${value}]\n`);
  });
});

describe('healthWaitScript', () => {
  it.each([
    [30_000, 30],
    [1_500, 2],
    [1_000, 1],
    [1, 1],
    [0, 1],
  ])('healthWaitSeconds(%d) is %d', (ms, seconds) => {
    expect(healthWaitSeconds(ms)).toBe(seconds);
  });

  it.each([
    [
      "curl -fs localhost:'8001'/health",
      30_000,
      500,
      `end=$(( $(date +%s) + 30 ))\nuntil { curl -fs localhost:'8001'/health\n}; do [ "$(date +%s)" -ge "$end" ] && exit 1; sleep 0.5; done`,
    ],
    [
      'test -f ready',
      1_500,
      1_000,
      `end=$(( $(date +%s) + 2 ))\nuntil { test -f ready\n}; do [ "$(date +%s)" -ge "$end" ] && exit 1; sleep 1; done`,
    ],
    [
      'true',
      100,
      250,
      `end=$(( $(date +%s) + 1 ))\nuntil { true\n}; do [ "$(date +%s)" -ge "$end" ] && exit 1; sleep 0.25; done`,
    ],
  ])('healthWaitScript(%j, %d, %d)', (check, timeout, interval, expected) => {
    expect(healthWaitScript(check, timeout, interval)).toBe(expected);
  });

  it.each([
    ['a check that passes at once', 'true', 0],
    ['a template ending in a comment', 'true # the newline before } keeps this a comment', 0],
    ['a check that passes on a later try', 'test -f ready || { touch ready; false; }', 0],
    ['a compound check that fails as a whole', 'true && false', 1],
  ])('%s: exit %d', (_name, check, status) => {
    expect(attempt(healthWaitScript(check, 1_000, 100)).status).toBe(status);
  });
});

describe('envFile', () => {
  it.each([
    [{}, ''],
    [{ PORT: '8080', ENV: 'production' }, 'ENV=production\nPORT=8080\n'],
    [{ B: "it's $(x)", A: '' }, "A=\nB=it's $(x)\n"],
  ])('envFile(%j)', (env, expected) => {
    expect(envFile(env)).toBe(expected);
  });
});

describe('releaseSettingsScript and loadReleaseEnvScript', () => {
  /** Writes the settings with secrets S1, S2 in the environment (as the exec wrapper gives them), then loads them. */
  function roundTrip(env: Record<string, string>, secrets: Record<string, string>, probe: string): string {
    const release = dirNamed('releases/1.0.0');
    const write = spawnSync('/bin/sh', ['-c', releaseSettingsScript(release, env, Object.keys(secrets))], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOSTILE_VAR: 'expanded', ...secrets },
    });
    if (write.status !== 0) throw new Error(write.stderr);
    return sh(`${loadReleaseEnvScript(release)}\n${probe}`);
  }

  it('writes runway.secrets mode 0600, one quoted line per variable, sorted', () => {
    roundTrip({ A: '1' }, { S2: 'two', S1: "it's" }, 'true');
    const file = join(root, 'releases/1.0.0/runway.secrets');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe("S1='it'\\''s'\nS2='two'\n");
    expect(readFileSync(join(root, 'releases/1.0.0/runway.env'), 'utf8')).toBe('A=1\n');
  });

  it('the script names the variables, never their values', () => {
    const script = releaseSettingsScript('/srv/api/releases/1.0.0', {}, ['DB_URL']);
    expect(script).toContain('"$DB_URL"');
    expect(script).not.toMatch(/postgres:/);
  });

  it('a service without secrets leaves no runway.secrets behind (one from an earlier deploy is removed)', () => {
    roundTrip({}, { OLD: 'gone' }, 'true');
    roundTrip({ A: '1' }, {}, 'true');
    expect(existsSync(join(root, 'releases/1.0.0/runway.secrets'))).toBe(false);
  });

  it.each(HOSTILE)('a value with %s reaches the started process as it is, from either file', (_name, value) => {
    const out = roundTrip(
      { SETTING: value.replace(/\n/g, ' ') },
      { SECRET: value },
      'printf "%s|%s" "$SETTING" "$SECRET"',
    );
    expect(out).toBe(`${value.replace(/\n/g, ' ')}|${value}`);
  });

  it('a release without either file starts with neither', () => {
    expect(sh(`${loadReleaseEnvScript(dirNamed('releases/0.9.0'))}\nprintf "[%s]" "\${SECRET-unset}"`)).toBe('[unset]');
  });
});

describe('knownArtifactScript', () => {
  it.each([
    [
      '/srv/api',
      '1.4.2',
      `mkdir -p '/srv/api/releases' && cat '/srv/api/releases/1.4.2/.runway-artifact' 2>/dev/null || true`,
    ],
    [
      './api',
      'v1+b.7',
      `mkdir -p './api/releases' && cat './api/releases/v1+b.7/.runway-artifact' 2>/dev/null || true`,
    ],
  ])('knownArtifactScript(%j, %j)', (dir, version, expected) => {
    expect(knownArtifactScript(dir, version)).toBe(expected);
  });

  it.each(HOSTILE)('prints nothing, then the recorded sha, for a dir and version with %s', (_name, value) => {
    const dir = join(root, value);
    expect(sh(knownArtifactScript(dir, value))).toBe('');
    expect(readdirSync(dir)).toEqual(['releases']);
    mkdirSync(join(dir, 'releases', value));
    writeFileSync(join(dir, 'releases', value, '.runway-artifact'), 'ab12\n');
    expect(sh(knownArtifactScript(dir, value))).toBe('ab12\n');
  });
});

describe('fetchScript', () => {
  const tarball = '/srv/api/releases/.1.4.2.tar.gz';
  const url = 'https://dl.example.com/api-1.4.2.tar.gz';
  const mismatch = (want: string) =>
    `{ rm -f '${tarball}'; echo "sha256 mismatch: got $actual, expected ${want}" >&2; exit 1; }`;
  it.each([
    [
      'unpinned',
      undefined,
      lines(
        'set -e',
        `curl -fsSL --retry 3 -o '${tarball}' '${url}'`,
        `expected=$(curl -fsSL --retry 3 '${url}.sha256' | cut -d ' ' -f 1)`,
        `actual=$(sha256sum '${tarball}' | cut -d ' ' -f 1)`,
        `[ "$expected" = "$actual" ] || ${mismatch('$expected')}`,
        `printf '%s\\n' "$actual" > '${tarball}.sha256'`,
      ),
    ],
    [
      'pinned',
      'ab12',
      lines(
        'set -e',
        `curl -fsSL --retry 3 -o '${tarball}' '${url}'`,
        `expected=$(curl -fsSL --retry 3 '${url}.sha256' | cut -d ' ' -f 1)`,
        `actual=$(sha256sum '${tarball}' | cut -d ' ' -f 1)`,
        `[ "$expected" = "$actual" ] || ${mismatch('$expected')}`,
        `[ 'ab12' = "$actual" ] || ${mismatch('ab12')}`,
        `printf '%s\\n' "$actual" > '${tarball}.sha256'`,
      ),
    ],
  ])('%s', (_name, pinned, expected) => {
    expect(fetchScript(url, `${url}.sha256`, tarball, pinned)).toBe(expected);
  });

  /** Publishes `bytes` and its sha256 file (as `published`) under a hostile name; returns their file:// URLs. */
  function publish(name: string, bytes: string, published = sha256(bytes)) {
    const dir = dirNamed(join('server', name));
    writeFileSync(join(dir, `${name}.tar.gz`), bytes);
    writeFileSync(join(dir, `${name}.tar.gz.sha256`), `${published}  artifact.tar.gz\n`);
    const at = pathToFileURL(join(dir, `${name}.tar.gz`)).href;
    return { url: at, sha256Url: `${at}.sha256` };
  }

  it.each(READ_BY_SHA256SUM)('fetches and checks, urls and tarball path with %s', (_name, value) => {
    const bytes = `artifact ${value}\n`;
    const { url: from, sha256Url } = publish(value, bytes);
    const to = join(dirNamed(value), `.${value}.tar.gz`);
    sh(fetchScript(from, sha256Url, to, sha256(bytes)));
    expect(readFileSync(to, 'utf8')).toBe(bytes);
    expect(readFileSync(`${to}.sha256`, 'utf8')).toBe(`${sha256(bytes)}\n`);
  });

  it.each(ESCAPED_BY_SHA256SUM)(
    'refuses a tarball path with %s: sha256sum escapes it (pinned behaviour)',
    (_n, value) => {
      const bytes = 'artifact\n';
      const { url: from, sha256Url } = publish('a', bytes);
      const dir = dirNamed(value);
      const r = attempt(fetchScript(from, sha256Url, join(dir, '.1.tar.gz')));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('sha256 mismatch');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it.each([
    ['the published sha256 differs', 'f'.repeat(64), undefined, `expected ${'f'.repeat(64)}`],
    ['the pinned sha256 differs', undefined, 'e'.repeat(64), `expected ${'e'.repeat(64)}`],
  ])('refuses when %s, and removes the tarball', (_name, published, pinned, message) => {
    const { url: from, sha256Url } = publish("it's", 'bytes', published);
    const to = join(dirNamed('x; y'), '.1.tar.gz');
    const r = attempt(fetchScript(from, sha256Url, to, pinned));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`sha256 mismatch: got ${sha256('bytes')}, ${message}`);
    expect(existsSync(to)).toBe(false);
  });
});

describe('unpackScript', () => {
  // r and t: the release and tarball as they appear inside single quotes (a quote in them written `'\''`).
  it.each([
    [
      '/srv/api/releases/1.4.2',
      '/srv/api/releases/.1.4.2.tar.gz',
      '/srv/api/releases/1.4.2',
      '/srv/api/releases/.1.4.2.tar.gz',
    ],
    [
      './api/releases/v1+b.7',
      './api/releases/.v1+b.7.tar.gz',
      './api/releases/v1+b.7',
      './api/releases/.v1+b.7.tar.gz',
    ],
    ["/it's/releases/1", "/it's/releases/.1.tar.gz", "/it'\\''s/releases/1", "/it'\\''s/releases/.1.tar.gz"],
  ])('unpackScript(%j, %j)', (release, tarballPath, r, t) => {
    expect(unpackScript(release, tarballPath)).toBe(
      lines(
        'set -e',
        `sha=$(sha256sum '${t}' | cut -d ' ' -f 1)`,
        `if [ -d '${r}' ]; then`,
        `  [ "$(cat '${r}/.runway-artifact' 2>/dev/null)" = "$sha" ] || { echo "release already on this host from another artifact: deploy it under a new version" >&2; exit 3; }`,
        `  rm -f '${t}'; echo existing; exit 0`,
        'fi',
        `rm -rf '${r}.runway-tmp' && mkdir -p '${r}.runway-tmp'`,
        `tar -xzf '${t}' -C '${r}.runway-tmp'`,
        `printf '%s\\n' "$sha" > '${r}.runway-tmp/.runway-artifact'`,
        `mv '${r}.runway-tmp' '${r}' && rm -f '${t}' '${t}.sha256'`,
        'echo created',
      ),
    );
  });

  /** A real tarball holding `bin/app` with `text`, copied to `to`; returns its bytes. */
  function tarball(to: string, text: string): Buffer {
    const src = dirNamed(`src-${sha256(text).slice(0, 8)}`);
    mkdirSync(join(src, 'bin'), { recursive: true });
    writeFileSync(join(src, 'bin', 'app'), text);
    const bytes = spawnSync('tar', ['-czf', '-', '-C', src, 'bin']).stdout;
    writeFileSync(to, bytes);
    return bytes;
  }

  it.each(READ_BY_SHA256SUM)('creates, keeps, then refuses another artifact; paths with %s', (_name, value) => {
    const releases = dirNamed(join(value, 'releases'));
    const release = join(releases, value);
    const at = join(releases, `.${value}.tar.gz`);
    const bytes = tarball(at, `app ${value}\n`);
    writeFileSync(`${at}.sha256`, 'x');

    expect(sh(unpackScript(release, at))).toBe('created\n');
    expect(readFileSync(join(release, 'bin', 'app'), 'utf8')).toBe(`app ${value}\n`);
    expect(readFileSync(join(release, '.runway-artifact'), 'utf8')).toBe(`${sha256(bytes)}\n`);
    expect(readdirSync(releases)).toEqual([value]);

    writeFileSync(at, bytes);
    expect(sh(unpackScript(release, at))).toBe('existing\n');
    expect(existsSync(at)).toBe(false);

    tarball(at, 'another build\n');
    const r = attempt(unpackScript(release, at));
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('release already on this host from another artifact');
    expect(readFileSync(join(release, 'bin', 'app'), 'utf8')).toBe(`app ${value}\n`);
  });

  it.each(ESCAPED_BY_SHA256SUM)(
    'records an escaped sha256 for a tarball path with %s (pinned behaviour)',
    (_n, value) => {
      const releases = dirNamed(join(value, 'releases'));
      const at = join(releases, `.${value}.tar.gz`);
      const bytes = tarball(at, 'app\n');
      expect(sh(unpackScript(join(releases, value), at))).toBe('created\n');
      expect(readFileSync(join(releases, value, '.runway-artifact'), 'utf8')).toBe(`\\${sha256(bytes)}\n`);
      writeFileSync(at, bytes);
      expect(sh(unpackScript(join(releases, value), at))).toBe('existing\n');
    },
  );
});

describe('removeReleaseScript and pruneReleasesScript', () => {
  it.each([
    [
      '/srv/api',
      '1.4.2',
      lines(
        `for l in '/srv/api/slots/blue' '/srv/api/slots/green' '/srv/api/current' '/srv/api/previous'; do [ "$(basename "$(readlink "$l" 2>/dev/null)" 2>/dev/null)" = '1.4.2' ] && exit 0; done`,
        `rm -rf '/srv/api/releases/1.4.2'`,
      ),
    ],
    [
      './api',
      'v1+b.7',
      lines(
        `for l in './api/slots/blue' './api/slots/green' './api/current' './api/previous'; do [ "$(basename "$(readlink "$l" 2>/dev/null)" 2>/dev/null)" = 'v1+b.7' ] && exit 0; done`,
        `rm -rf './api/releases/v1+b.7'`,
      ),
    ],
  ])('removeReleaseScript(%j, %j)', (dir, version, expected) => {
    expect(removeReleaseScript(dir, version)).toBe(expected);
  });

  it.each([
    ['/srv/api', ['1.0', '0.9'], `rm -rf '/srv/api/releases/1.0' '/srv/api/releases/0.9'`],
    ['./api', ['v1+b.7'], `rm -rf './api/releases/v1+b.7'`],
  ])('pruneReleasesScript(%j, %j)', (dir, versions, expected) => {
    expect(pruneReleasesScript(dir, versions)).toBe(expected);
  });

  /** A service dir named `name` with releases `value` and every sibling name. */
  function releasesOf(name: string, value: string): string {
    const dir = dirNamed(name);
    for (const v of [...SIBLINGS, value]) mkdirSync(join(dir, 'releases', v), { recursive: true });
    return dir;
  }

  it.each(HOSTILE)('removes the release with %s, and nothing else', (_name, value) => {
    const dir = releasesOf(value, value);
    sh(removeReleaseScript(dir, value));
    expect(readdirSync(join(dir, 'releases')).sort()).toEqual([...SIBLINGS].sort());
  });

  it.each([['slots/blue'], ['slots/green'], ['current'], ['previous']])('keeps a release %s points at', (link) => {
    const value = "it's $(touch pwned)";
    const dir = releasesOf('a b', value);
    sh(linkScript(dir, link, value));
    sh(removeReleaseScript(dir, value));
    expect(existsSync(join(dir, 'releases', value))).toBe(true);
    sh(linkScript(dir, link, 'keep'));
    sh(removeReleaseScript(dir, value));
    expect(existsSync(join(dir, 'releases', value))).toBe(false);
  });

  it.each(HOSTILE)('prunes exactly the given releases, with %s', (_name, value) => {
    const dir = releasesOf(value, value);
    mkdirSync(join(dir, 'releases', 'old'));
    sh(pruneReleasesScript(dir, [value, 'old']));
    expect(readdirSync(join(dir, 'releases')).sort()).toEqual([...SIBLINGS].sort());
  });
});

describe('stateScript and parseState', () => {
  // d: the dir as it appears inside single quotes.
  it.each([
    ['/srv/api', '/srv/api'],
    ['./api', './api'],
    ["/srv/it's", "/srv/it'\\''s"],
  ])('stateScript(%j)', (dir, d) => {
    const link = (p: string) => `"$(basename "$(readlink '${d}/${p}' 2>/dev/null)" 2>/dev/null)"`;
    expect(stateScript(dir)).toBe(
      lines(
        `printf 'live=%s\\n' "$(cat '${d}/live' 2>/dev/null)"`,
        `printf 'blue=%s\\ngreen=%s\\n' ${link('slots/blue')} ${link('slots/green')}`,
        `printf 'current=%s\\nprevious=%s\\n' ${link('current')} ${link('previous')}`,
        `printf 'releases=%s\\n' "$(ls -1t '${d}/releases' 2>/dev/null | grep -v '^\\.' | tr '\\n' ' ')"`,
      ),
    );
  });

  const none: HostState = { slots: {}, releases: [] };
  it.each<[string, string, HostState]>([
    [
      'everything set',
      'live=green\nblue=1.1\ngreen=1.2\ncurrent=1.2\nprevious=1.1\nreleases=1.2 1.1 1.0 \n',
      {
        live: 'green',
        slots: { blue: '1.1', green: '1.2' },
        current: '1.2',
        previous: '1.1',
        releases: ['1.2', '1.1', '1.0'],
      },
    ],
    ['empty values', 'live=\nblue=\ngreen=\ncurrent=\nprevious=\nreleases=\n', none],
    ['no output', '', none],
    [
      'noise and extra spaces',
      'motd line\nreleases=1.2  1.1\ncurrent= 1.2 \n',
      { ...none, current: '1.2', releases: ['1.2', '1.1'] },
    ],
    ['a value holding =', 'live=a=b\n', { ...none, live: 'a=b' }],
  ])('parseState: %s', (_name, stdout, expected) => {
    expect(parseState(stdout)).toEqual(expected);
  });

  it.each(HOSTILE)('reads back real links, live mark and releases in a dir with %s', (_name, value) => {
    const dir = join(root, value);
    ['1.0', '1.1', '1.2'].forEach((v, i) => {
      mkdirSync(join(dir, 'releases', v), { recursive: true });
      const t = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 60_000);
      utimesSync(join(dir, 'releases', v), t, t);
    });
    writeFileSync(join(dir, 'releases', '.1.3.tar.gz'), 'partial upload');
    sh(
      [
        linkScript(dir, 'slots/blue', '1.1'),
        linkScript(dir, 'slots/green', '1.2'),
        linkScript(dir, 'current', '1.2'),
        linkScript(dir, 'previous', '1.1'),
        liveScript(dir, 'green'),
      ].join('\n'),
    );
    expect(parseState(sh(stateScript(dir)))).toEqual({
      live: 'green',
      slots: { blue: '1.1', green: '1.2' },
      current: '1.2',
      previous: '1.1',
      releases: ['1.2', '1.1', '1.0'],
    });
    sh([liveScript(dir, undefined), linkScript(dir, 'previous', undefined)].join('\n'));
    expect(parseState(sh(stateScript(dir)))).toEqual({
      slots: { blue: '1.1', green: '1.2' },
      current: '1.2',
      releases: ['1.2', '1.1', '1.0'],
    });
  });

  it('reads a host where nothing is deployed yet', () => {
    expect(parseState(sh(stateScript(join(root, 'not there'))))).toEqual(none);
  });
});

describe('upstreamReadScript and parseUpstreamRead', () => {
  it.each([
    [
      '/etc/nginx/conf.d/api-upstream.conf',
      `if [ -f '/etc/nginx/conf.d/api-upstream.conf' ]; then printf present; cat '/etc/nginx/conf.d/api-upstream.conf'; else printf absent; fi`,
    ],
    [
      "/etc/it's.conf",
      `if [ -f '/etc/it'\\''s.conf' ]; then printf present; cat '/etc/it'\\''s.conf'; else printf absent; fi`,
    ],
  ])('upstreamReadScript(%j)', (file, expected) => {
    expect(upstreamReadScript(file)).toBe(expected);
  });

  it.each([
    ['absent', undefined],
    ['present', ''],
    ['presentupstream x {}\n', 'upstream x {}\n'],
    ['presentpresent', 'present'],
    ['', undefined],
  ])('parseUpstreamRead(%j)', (stdout, expected) => {
    expect(parseUpstreamRead(stdout)).toBe(expected);
  });

  it.each(HOSTILE)('reads the exact bytes of a file whose path holds %s, or absent', (_name, value) => {
    const file = join(dirNamed(value), `${value}.conf`);
    expect(parseUpstreamRead(sh(upstreamReadScript(file)))).toBeUndefined();
    const text = `upstream api {\n  server 10.0.0.1:8001; # ${value}\n}\n\n`;
    writeFileSync(file, text);
    expect(parseUpstreamRead(sh(upstreamReadScript(file)))).toBe(text);
    writeFileSync(file, 'no newline at the end');
    expect(parseUpstreamRead(sh(upstreamReadScript(file)))).toBe('no newline at the end');
  });
});

describe('upstreamConf', () => {
  const web = [
    { name: 'web-1', address: '10.0.0.1' },
    { name: 'web-2', address: '10.0.0.2' },
  ];
  it.each([
    [
      'every host up',
      web,
      8001,
      undefined,
      '# written by Runway: do not edit by hand\nupstream api {\n  server 10.0.0.1:8001;\n  server 10.0.0.2:8001;\n}\n',
    ],
    [
      'one host marked down',
      web,
      8080,
      new Set(['web-2']),
      '# written by Runway: do not edit by hand\nupstream api {\n  server 10.0.0.1:8080;\n  server 10.0.0.2:8080 down;\n}\n',
    ],
    ['no hosts', [], 80, new Set(['web-1']), '# written by Runway: do not edit by hand\nupstream api {\n}\n'],
  ])('%s', (_name, hosts, port, down, expected) => {
    expect(upstreamConf('api', hosts, port, down)).toBe(expected);
  });
});

describe('upstreamSwitchScript', () => {
  const file = '/etc/nginx/up.conf';
  const bak = `${file}.runway-prev`;
  const tail = (test: string, reload: string) => [
    `if ! { ${test}\n}; then`,
    `  if [ -f '${bak}' ]; then mv -f '${bak}' '${file}'; else rm -f '${file}'; fi`,
    `  echo "the load balancer's test refused the new upstream; the previous one is back" >&2; exit 1`,
    'fi',
    `rm -f '${bak}'`,
    reload,
  ];
  it.each([
    [
      'new content',
      "upstream api { server 10.0.0.1:8001; } # it's",
      lines(
        `printf %s 'upstream api { server 10.0.0.1:8001; } # it'\\''s' > '${file}.runway-new' || exit 1`,
        `if [ -f '${file}' ] && cmp -s '${file}.runway-new' '${file}'; then rm -f '${file}.runway-new'; echo unchanged; exit 0; fi`,
        `if [ -f '${file}' ]; then cp -p '${file}' '${bak}'; else rm -f '${bak}'; fi`,
        `mv -f '${file}.runway-new' '${file}'`,
        ...tail("nginx -t -c '/etc/nginx/nginx.conf'", 'nginx -s reload'),
      ),
    ],
    [
      'no content: the file is removed',
      undefined,
      lines(
        `if [ ! -e '${file}' ]; then echo unchanged; exit 0; fi`,
        `if [ -f '${file}' ]; then cp -p '${file}' '${bak}'; else rm -f '${bak}'; fi`,
        `rm -f '${file}'`,
        ...tail("nginx -t -c '/etc/nginx/nginx.conf'", 'nginx -s reload'),
      ),
    ],
  ])('%s', (_name, content, expected) => {
    expect(
      upstreamSwitchScript({ file, content, test: "nginx -t -c '/etc/nginx/nginx.conf'", reload: 'nginx -s reload' }),
    ).toBe(expected);
  });

  const OLD = 'upstream api {\n  server 10.0.0.1:8001;\n}\n';
  const NEW = "upstream api {\n  server 10.0.0.1:8002; # it's $(touch pwned)\n}\n";
  it.each<[string, string | undefined, string | undefined, string, number, string | undefined, boolean]>([
    // name, file before, content, test, exit, file after, reloaded
    ['first write', undefined, NEW, 'true', 0, NEW, true],
    ['replace', OLD, NEW, 'true', 0, NEW, true],
    ['test refuses: the old file is back', OLD, NEW, 'false', 1, OLD, false],
    ['test refuses a first write: no file', undefined, NEW, 'false', 1, undefined, false],
    ['a compound test is negated whole', OLD, NEW, 'true && false', 1, OLD, false],
    ['a test ending in a comment', OLD, NEW, 'true # nginx -t', 0, NEW, true],
    ['same content: unchanged, no reload', NEW, NEW, 'false', 0, NEW, false],
    ['remove', OLD, undefined, 'true', 0, undefined, true],
    ['remove refused: the old file is back', OLD, undefined, 'false', 1, OLD, false],
    ['remove when absent: unchanged', undefined, undefined, 'false', 0, undefined, false],
  ])('%s', (_name, before, content, test, status, after, reloaded) => {
    const path = join(dirNamed("it's $(touch pwned) `x`"), 'up stream.conf');
    if (before !== undefined) writeFileSync(path, before);
    const r = attempt(upstreamSwitchScript({ file: path, content, test, reload: 'echo reloaded >> reloads' }));
    expect(r.status).toBe(status);
    if (status === 1) expect(r.stderr).toContain("the load balancer's test refused the new upstream");
    if (before === content) expect(r.stdout).toBe('unchanged\n');
    expect(existsSync(path) ? readFileSync(path, 'utf8') : undefined).toBe(after);
    expect(existsSync(`${path}.runway-prev`)).toBe(false);
    expect(existsSync(`${path}.runway-new`)).toBe(false);
    expect(existsSync(join(root, 'reloads'))).toBe(reloaded);
  });

  it.each(HOSTILE)('writes exactly the new upstream, path and content with %s', (_name, value) => {
    const path = join(dirNamed(value), value);
    writeFileSync(path, OLD);
    const content = `upstream api { server ${value}; }\n`;
    sh(upstreamSwitchScript({ file: path, content, test: 'true', reload: 'true' }));
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(sh(upstreamSwitchScript({ file: path, content, test: 'false', reload: 'false' }))).toBe('unchanged\n');
  });
});

describe('no builder lets a NUL byte through', () => {
  const NUL = 'a\0b';
  it.each<[string, () => string]>([
    ['renderCommand', () => renderCommand('echo {{version}}', { version: NUL })],
    ['stopScript', () => stopScript('stop {{slot}}', { slot: NUL })],
    ['restartScript', () => restartScript({ stop: 'true', start: 'start {{version}}' }, { version: NUL })],
    ['linkScript (dir)', () => linkScript(`/srv/${NUL}`, 'current', '1.0')],
    ['linkScript (version)', () => linkScript('/srv/api', 'current', NUL)],
    ['linkScript (removal)', () => linkScript(`/srv/${NUL}`, 'current', undefined)],
    ['writeFileScript (path)', () => writeFileScript(`/srv/${NUL}`, 'x')],
    ['writeFileScript (content)', () => writeFileScript('/srv/api/live', NUL)],
    ['writeFileScript (envFile)', () => writeFileScript('/srv/api/runway.env', envFile({ A: NUL }))],
    ['removeFileScript', () => removeFileScript(`/srv/${NUL}`)],
    ['liveScript', () => liveScript('/srv/api', NUL)],
    ['knownArtifactScript', () => knownArtifactScript('/srv/api', NUL)],
    ['fetchScript (url)', () => fetchScript(`https://x/${NUL}`, 'https://x/s', '/t')],
    ['fetchScript (tarball)', () => fetchScript('https://x/a', 'https://x/s', `/t${NUL}`)],
    ['fetchScript (pinned)', () => fetchScript('https://x/a', 'https://x/s', '/t', NUL)],
    ['unpackScript', () => unpackScript(`/srv/${NUL}`, '/t')],
    ['removeReleaseScript', () => removeReleaseScript('/srv/api', NUL)],
    ['pruneReleasesScript', () => pruneReleasesScript('/srv/api', ['1.0', NUL])],
    ['stateScript', () => stateScript(`/srv/${NUL}`)],
    ['upstreamReadScript', () => upstreamReadScript(`/etc/${NUL}`)],
    ['upstreamSwitchScript (file)', () => upstreamSwitchScript({ file: NUL, content: 'x', test: 't', reload: 'r' })],
    [
      'upstreamSwitchScript (content)',
      () => upstreamSwitchScript({ file: '/f', content: NUL, test: 't', reload: 'r' }),
    ],
  ])('%s', (_name, build) => {
    expect(build).toThrow(/NUL/);
  });
});
