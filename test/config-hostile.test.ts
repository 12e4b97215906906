import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadClientConfig, parseConfig } from '../config';

/**
 * A corpus of malformed configs, as a careless user or an attacker would write them: each row breaks one thing in a
 * config that is otherwise accepted, and must be refused with exactly one `file:line:col path: message` line — at the
 * key or value it names, with a message that says what is wrong.
 */

const FILE = '/cfg/runway.yml';

/** YAML text from lines. */
const yml = (...lines: string[]) => lines.join('\n') + '\n';

const SSH = ['ssh:', '  user: deploy', '  agent: true', '  knownHosts: kh'];
const HOSTS = [
  '      web-1: { address: 10.0.0.1, roles: [web] }',
  '      web-2: { address: 10.0.0.2, roles: [web] }',
  '      lb-1: { address: 10.0.0.9, roles: [lb] }',
  '      db-1: { address: 10.0.0.5, roles: [db] }',
  '      db-2: { address: 10.0.0.6, roles: [db] }',
];
const ENV = ['environments:', '  prod:', '    hosts:', ...HOSTS];

/** A config of the valid ssh and environment sections, then `lines`. */
const cfg = (...lines: string[]) => yml(...SSH, ...ENV, ...lines);

type Fields = Record<string, string>;

/** One entry of a section: `fields` with `over` applied (a null removes a key, a new key comes last). */
function entry(section: string, name: string, fields: Fields, over: Record<string, string | null> = {}): string[] {
  const merged: Record<string, string | null> = { ...fields, ...over };
  const lines = Object.entries(merged).flatMap(([k, v]) => (v === null ? [] : [`    ${k}: ${v}`]));
  return [`${section}:`, `  ${name}:`, ...lines];
}

const BLUE_GREEN: Fields = {
  strategy: 'blue-green',
  roles: '[web]',
  dir: '/srv/api',
  artifact: "{ file: 'api-{{version}}.tgz' }",
  start: 'systemctl start api@{{slot}}',
  stop: 'systemctl stop api@{{slot}}',
  health: '{ http: { path: /health } }',
  slots: '{ blue: 8001, green: 8002 }',
  loadBalancer: '{ role: lb, upstreamFile: /etc/nginx/api.conf, upstream: api }',
};
const ROLLING: Fields = {
  strategy: 'rolling',
  roles: '[web]',
  dir: '/srv/worker',
  artifact: "{ file: 'worker-{{version}}.tgz' }",
  start: 'systemctl restart worker',
  stop: 'systemctl stop worker',
  health: "{ command: 'curl -fsS localhost:{{port}}/health' }",
  port: '9000',
};
const PG: Fields = { kind: 'postgres', environment: 'prod', host: 'db-1', database: 'app', dir: '/var/backups/app' };
const FILES: Fields = { kind: 'files', environment: 'prod', role: 'web', paths: '[/etc/nginx]', dir: 'backups/site' };
const DRILL: Fields = { backup: 'app', target: '{ host: db-2, database: app_dr }' };
const CERT: Fields = { environment: 'prod', domains: '[api.example.com]', endpoints: '[{ role: lb }]' };
const ACME_CERT: Fields = {
  ...CERT,
  acme: '{ directory: "https://acme.example/dir", accountKey: { env: ACME_KEY }, challenge: { http01: { role: lb, webroot: /var/www/acme } } }',
  install:
    '{ role: lb, certificate: /etc/nginx/tls/api.crt, key: /etc/nginx/tls/api.key, test: nginx -t, reload: nginx -s reload }',
};

const bg = (over: Record<string, string | null> = {}) => cfg(...entry('services', 'api', BLUE_GREEN, over));
const rolling = (over: Record<string, string | null> = {}) => cfg(...entry('services', 'worker', ROLLING, over));
const pgSet = (over: Record<string, string | null> = {}) => cfg(...entry('backups', 'app', PG, over));
const filesSet = (over: Record<string, string | null> = {}) => cfg(...entry('backups', 'site', FILES, over));
const drill = (over: Record<string, string | null> = {}, set = PG) =>
  cfg(...entry('backups', 'app', set), ...entry('drills', 'dr', DRILL, over));
const cert = (over: Record<string, string | null> = {}, base = CERT) =>
  cfg(...entry('certificates', 'site', base, over));
/** The config with one host line replaced. */
const host = (line: string) => cfg().replace(HOSTS[0], line);
/** The config with one ssh line added. */
const ssh = (...lines: string[]) => yml(...SSH, ...lines.map((l) => `  ${l}`), ...ENV);
const top = (...lines: string[]) => cfg(...lines);

/** The problem lines `text` is refused with. */
function problemLines(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split('\n');
  }
  throw new Error('the config was accepted');
}

/** Exactly one problem line: it starts with `prefix` (file:line:col path) and its message says `message`. */
function expectOneLine(lines: string[], prefix: string, message: string | RegExp): void {
  expect({ count: lines.length, head: lines[0]?.slice(0, prefix.length) }).toEqual({ count: 1, head: prefix });
  const said = lines[0].slice(prefix.length);
  if (typeof message === 'string') expect(said).toContain(message);
  else expect(said).toMatch(message);
}

/**
 * Where a problem points: the first occurrence of a text, its `nth`, just `after` a text (a value), or the end of the
 * file (where the parser notices something was never closed).
 */
type Where = string | [string, number] | { after: string } | 'end of file';

/** Line and column (1-based) of a {@link Where} in `text`. */
function position(text: string, where: Where): string {
  let offset = text.length;
  if (where !== 'end of file') {
    const [marker, nth, shift] =
      typeof where === 'string'
        ? [where, 1, 0]
        : Array.isArray(where)
          ? [...where, 0]
          : [where.after, 1, where.after.length];
    offset = -1;
    for (let i = 0; i < nth; i++) {
      offset = text.indexOf(marker, offset + 1);
      if (offset < 0) throw new Error(`marker ${JSON.stringify(marker)} (${nth}) is not in the text`);
    }
    offset += shift;
  }
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** [name, config text, path reported, where it points, what the message says]. */
type Row = [string, string, string, Where, string | RegExp];

const BOMB = (() => {
  const lines = ['x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 12; i++)
    lines.push(
      `x${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return cfg(...lines);
})();

const WIDE = (() => {
  const roles = Array(5000).fill('web').join(', ');
  const aliases = Array.from({ length: 40 }, (_, i) => `      w${i}: { address: 10.0.1.${i}, roles: *r }`);
  return yml(...SSH, ...ENV, `      big: { address: 10.0.2.1, roles: &r [${roles}] }`, ...aliases);
})();

const YAML_ROWS: Row[] = [
  ['a scalar, not a map', yml('just some text'), '(root)', 'just', 'expected object, received string'],
  ['a number, not a map', yml('42'), '(root)', '42', 'expected object, received number'],
  ['tab indentation', yml('ssh:', '\tuser: deploy'), 'yaml', '\tuser', 'Tabs are not allowed'],
  ['an unclosed flow map', cfg('notify: { slack: { channel: ops'), 'yaml', 'end of file', 'end with a }'],
  ['an unclosed quote', cfg('audit: { file: "audit.jsonl }'), 'yaml', 'end of file', 'Missing closing "quote'],
  [
    'a key given twice at the top',
    cfg(...SSH),
    'yaml',
    ['ssh:', 2],
    '"ssh" is given twice: keys in a map must be unique',
  ],
  [
    'a host given twice (the second would silently win)',
    cfg().replace(HOSTS[1], HOSTS[1].replace('web-2', 'web-1')),
    'yaml',
    ['web-1:', 2],
    '"web-1" is given twice',
  ],
  [
    'the same key as a number and as a string',
    cfg('services: { 1: {}, "1": {} }'),
    'yaml',
    '"1"',
    '"1" is given twice',
  ],
  [
    'a merge key',
    yml('defaults: &d { user: deploy, agent: true }', 'ssh: { <<: *d, knownHosts: kh }', ...ENV),
    'yaml',
    '<<',
    'merge keys (<<) are not supported',
  ],
  ['a billion laughs', BOMB, 'yaml', '*a4', /aliases would expand this document by more than 100000 values/],
  [
    'one anchor aliased wide',
    WIDE,
    'yaml',
    ['*r', 21],
    /aliases would expand this document by more than 100000 values/,
  ],
  ['an alias with no anchor', cfg('notify: *nowhere'), 'yaml', '*nowhere', 'unknown alias *nowhere'],
  ['a binary tag', cfg('audit: { file: !!binary aGVsbG8= }'), 'yaml', 'aGVsbG8=', 'unsupported tag !!binary'],
  ['a set tag', cfg('services: !!set { api }'), 'yaml', '{ api }', 'unsupported tag !!set'],
  ['a custom tag', cfg('audit: { file: !env AUDIT_FILE }'), 'yaml', '!env', 'unsupported tag'],
  ['a list as a key', cfg('services:', '  ? [api, web]', '  : {}'), 'yaml', '[api, web]', 'a key must be a plain name'],
  [
    'a __proto__ key',
    host('      __proto__: { address: 10.0.0.1 }'),
    'yaml',
    '__proto__',
    '"__proto__" cannot be a key',
  ],
  [
    'a YAML 1.1 directive (yes and no as booleans, merge keys, octal numbers)',
    '%YAML 1.1\n---\n' + cfg(),
    'yaml',
    '%YAML',
    '%YAML 1.1 is not supported: a config is YAML 1.2',
  ],
  ['two documents', cfg('---', 'ssh: {}'), 'yaml', '---', 'a config is one YAML document'],
  ['a file over 4 MiB', cfg(`# ${'x'.repeat(4 * 1024 * 1024)}`), '(root)', 'ssh', /a config may be at most 4 MiB/],
];

const HOST_ROWS: Row[] = [
  [
    'an address with a space',
    host('      web-1: { address: "10.0.0.1 10.0.0.2", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '"10.0.0.1 10',
    'is not a host name or an IP address',
  ],
  [
    'an address with a shell command',
    host('      web-1: { address: "web-1; rm -rf /", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '"web-1;',
    'is not a host name or an IP address',
  ],
  [
    'an address that is an ssh option',
    host('      web-1: { address: "-oProxyCommand=touch /tmp/pwned", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '"-oProxy',
    'starts with "-", which ssh would read as an option',
  ],
  [
    'an IPv4 address out of range',
    host('      web-1: { address: 999.1.1.1, roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '999.1.1.1',
    '"999.1.1.1" is not an IPv4 address (four numbers 0-255',
  ],
  [
    'an IPv4 address with three parts',
    host('      web-1: { address: 10.0.1, roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '10.0.1,',
    'is not an IPv4 address',
  ],
  [
    'an address with the user in it',
    host('      web-1: { address: root@10.0.0.1, roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    'root@',
    'the user in user:',
  ],
  [
    'an address with the port in it',
    host('      web-1: { address: "web-1.example.com:2222", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '"web-1.example.com:2222"',
    'give the port in port:',
  ],
  [
    'a bracketed IPv6 address',
    host('      web-1: { address: "[::1]", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '"[::1]"',
    'write an IPv6 address without brackets',
  ],
  [
    'a host name with two dots at its end',
    host('      web-1: { address: web-1.example.com.., roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    'web-1.example.com..',
    'is not a host name or an IP address',
  ],
  [
    'a host name with an underscore',
    host('      web-1: { address: web_1.example.com, roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    'web_1.example.com',
    'a host name is labels of letters, digits and "-"',
  ],
  [
    'a host name label starting with "-"',
    host('      web-1: { address: web.-bad.example.com, roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    'web.-bad',
    'is not a host name or an IP address',
  ],
  [
    'an empty address',
    host('      web-1: { address: "", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '""',
    'got an empty string',
  ],
  [
    'an address with a newline',
    host('      web-1: { address: "10.0.0.1\\nProxyCommand x", roles: [web] }'),
    'environments.prod.hosts.web-1.address',
    '"10.0.0.1\\n',
    'must not contain a newline',
  ],
  [
    'the same host name in two cases',
    cfg()
      .replace(HOSTS[0], '      web-1: { address: WEB.example.com, roles: [web] }')
      .replace(HOSTS[1], '      web-2: { address: web.example.com, roles: [web] }'),
    'environments.prod.hosts.web-2.address',
    'web.example.com',
    'web.example.com:22 is already host web-1',
  ],
  [
    'a user that runs a command',
    host('      web-1: { address: 10.0.0.1, user: "root;rm -rf /", roles: [web] }'),
    'environments.prod.hosts.web-1.user',
    '"root;',
    '"root;rm -rf /" is not a login name',
  ],
  [
    'a user that is an ssh option',
    ssh().replace('user: deploy', 'user: "-oProxyCommand=sh"'),
    'ssh.user',
    '"-oProxy',
    'starts with "-", which ssh would read as an option',
  ],
  [
    'a user with a space',
    ssh().replace('user: deploy', 'user: "de ploy"'),
    'ssh.user',
    '"de ploy"',
    'is not a login name',
  ],
  [
    'a port of 0',
    host('      web-1: { address: 10.0.0.1, port: 0, roles: [web] }'),
    'environments.prod.hosts.web-1.port',
    '0,',
    'expected a port number (1-65535)',
  ],
  ['a negative port', ssh('port: -22'), 'ssh.port', '-22', 'expected a port number (1-65535)'],
  [
    'a port as a string',
    host('      web-1: { address: 10.0.0.1, port: "2222", roles: [web] }'),
    'environments.prod.hosts.web-1.port',
    '"2222"',
    'expected number, received string',
  ],
  ['a fractional port', ssh('port: 22.5'), 'ssh.port', '22.5', 'expected a port number (1-65535)'],
  [
    'a host dir under ~',
    host('      web-1: { address: 10.0.0.1, dir: ~/apps, roles: [web] }'),
    'environments.prod.hosts.web-1.dir',
    '~/apps',
    '"~" is not expanded on the host: write the path relative to the login home, or absolute',
  ],
  [
    'a host dir that climbs out of the home',
    host('      web-1: { address: 10.0.0.1, dir: ../other, roles: [web] }'),
    'environments.prod.hosts.web-1.dir',
    '../other',
    '"../other" climbs out of the login home with ".."',
  ],
  [
    'a journal dir that climbs out of the home',
    ssh('journalDir: journal/../../x'),
    'ssh.journalDir',
    'journal/../../x',
    'climbs out of the login home',
  ],
  [
    'a host name with a semicolon',
    host('      "web;1": { address: 10.0.0.1, roles: [web] }'),
    'environments.prod.hosts.web;1',
    '"web;1"',
    'expected a name of letters, digits',
  ],
  [
    'a role that starts with "-"',
    host('      web-1: { address: 10.0.0.1, roles: [-web] }'),
    'environments.prod.hosts.web-1.roles[0]',
    '-web',
    'expected a name of letters, digits',
  ],
  [
    'an environment with hosts: null',
    yml(...SSH, 'environments:', '  prod:', '    hosts:'),
    'environments.prod.hosts',
    { after: 'hosts:' },
    'expected a map, got an empty value',
  ],
  [
    'an environment with no hosts',
    yml(...SSH, 'environments:', '  prod:', '    hosts: {}'),
    'environments.prod.hosts',
    '{}',
    'an environment needs at least one host',
  ],
  [
    'a concurrency as a string',
    cfg().replace('  prod:\n', '  prod:\n    concurrency: "10"\n'),
    'environments.prod.concurrency',
    '"10"',
    'expected number, received string',
  ],
];

const SSH_ROWS: Row[] = [
  ['a zero connect timeout', ssh('connectTimeout: 0'), 'ssh.connectTimeout', '0', 'expected a duration longer than 0'],
  [
    'a zero command timeout',
    ssh('commandTimeout: 0s'),
    'ssh.commandTimeout',
    '0s',
    'expected a duration longer than 0',
  ],
  [
    'a negative duration',
    ssh('heartbeatTimeout: -5s'),
    'ssh.heartbeatTimeout',
    '-5s',
    'expected a duration like 30s, 5m or 1h, got "-5s"',
  ],
  [
    'a duration with a word for its unit',
    ssh('connectTimeout: 5 sec'),
    'ssh.connectTimeout',
    '5 sec',
    'expected a duration like 30s, 5m or 1h, got "5 sec"',
  ],
  [
    'a duration of a million days',
    ssh('commandTimeout: 1000000d'),
    'ssh.commandTimeout',
    '1000000d',
    'expected a duration of at most 3650d',
  ],
  [
    'a huge number of milliseconds',
    ssh('commandTimeout: 1e300'),
    'ssh.commandTimeout',
    '1e300',
    'expected a duration of at most 3650d',
  ],
  ['zero connection attempts', ssh('retry: { attempts: 0 }'), 'ssh.retry.attempts', '0 }', 'expected number to be >=1'],
  [
    'a retry that backs off below its start',
    ssh('retry: { initialInterval: 10s, maxInterval: 1s }'),
    'ssh.retry.maxInterval',
    '1s }',
    'maxInterval (1000 ms) is shorter than initialInterval (10000 ms)',
  ],
  [
    'a key file under ~user',
    ssh('key: { file: ~bob/.ssh/id }').replace('  agent: true\n', ''),
    'ssh.key.file',
    '~bob',
    'only "~/" (your home) is expanded',
  ],
  [
    'the private key as the known_hosts file',
    ssh('key: { file: ~/.ssh/id }').replace('knownHosts: kh', 'knownHosts: ~/.ssh/id'),
    'ssh.knownHosts',
    '~/.ssh/id',
    'knownHosts is the private key file',
  ],
  [
    'a known_hosts path with a NUL',
    ssh().replace('knownHosts: kh', 'knownHosts: "kh\\0x"'),
    'ssh.knownHosts',
    '"kh',
    'a path must not contain a NUL',
  ],
];

const TEMPORAL_ROWS: Row[] = [
  [
    'a Temporal address with a scheme',
    top('temporal: { address: "http://temporal.example.com:7233" }'),
    'temporal.address',
    '"http:',
    'expected host:port (e.g. temporal.example.com:7233) or embedded',
  ],
  [
    'a Temporal address with no port',
    top('temporal: { address: temporal.example.com }'),
    'temporal.address',
    'temporal.example.com',
    'expected host:port',
  ],
  [
    'a namespace with a space',
    top('temporal: { namespace: "my ns" }'),
    'temporal.namespace',
    '"my ns"',
    'expected a namespace name',
  ],
  [
    'a task queue with a quote (it goes into visibility queries)',
    top("temporal: { taskQueue: 'runway\" OR 1=1' }"),
    'temporal.taskQueue',
    "'runway",
    'expected a task queue name',
  ],
  [
    'a Web UI link that is no http URL',
    top('temporal: { uiUrl: "javascript:alert(1)" }'),
    'temporal.uiUrl',
    '"javascript',
    'expected an http or https URL',
  ],
  [
    'devServer with an external cluster',
    top('temporal:', '  address: temporal.example.com:7233', '  devServer: { port: 7234 }'),
    'temporal.devServer',
    '{ port: 7234 }',
    'devServer applies to the embedded server',
  ],
  [
    'the dev server and its Web UI on one port',
    top('temporal: { devServer: { port: 7233, uiPort: 7233 } }'),
    'temporal.devServer.uiPort',
    '7233 }',
    'the Web UI needs a port of its own',
  ],
  [
    'metrics on the dev server port',
    top('metrics: { listen: 127.0.0.1:8233 }'),
    'metrics.listen',
    '127.0.0.1:8233',
    "port 8233 is the embedded Temporal server's",
  ],
  [
    'a metrics port out of range',
    top('metrics: { listen: 0.0.0.0:99999 }'),
    'metrics.listen',
    '0.0.0.0:99999',
    'expected address:port',
  ],
  [
    'a metrics address out of range',
    top('metrics: { listen: 999.0.0.1:9464 }'),
    'metrics.listen',
    '999.0.0.1:9464',
    'expected address:port',
  ],
  [
    'child workflows above no hosts at all',
    top('fanout: { childAbove: 0 }'),
    'fanout.childAbove',
    { after: 'childAbove: ' },
    'expected number to be >=1',
  ],
  [
    'child workflows too large for their histories',
    top('fanout: { hostsPerChild: 500 }'),
    'fanout.hostsPerChild',
    '500',
    'expected number to be <=200',
  ],
  [
    'a fan-out threshold given as text',
    top("fanout: { childAbove: '50' }"),
    'fanout.childAbove',
    "'50'",
    'expected number, received string',
  ],
  ['a fan-out section that is a number', top('fanout: 5'), 'fanout', { after: 'fanout: ' }, 'expected object'],
  [
    'a misspelt fan-out key',
    top('fanout: { hostsPerChlid: 5 }'),
    'fanout.hostsPerChlid',
    'hostsPerChlid',
    'unknown key (did you mean hostsPerChild?)',
  ],
  [
    'a codec server address out of range',
    top(
      'temporal:',
      '  encryption:',
      '    keyId: k1',
      '    keys: { k1: { env: K1 } }',
      '    codecServer: { listen: 999.0.0.1:8888, token: { env: T } }',
    ),
    'temporal.encryption.codecServer.listen',
    '999.0.0.1:8888',
    'expected address:port',
  ],
  [
    'an approver name with a space',
    cfg().replace('    hosts:', '    approval: { approvers: ["alice smith"] }\n    hosts:'),
    'environments.prod.approval.approvers[0]',
    '"alice smith"',
    'expected a login or e-mail address',
  ],
  [
    'a Slack channel with a space',
    top('notify: { slack: { channel: "ops channel", token: { env: SLACK_TOKEN } } }'),
    'notify.slack.channel',
    '"ops channel"',
    'expected a channel name such as #ops',
  ],
  [
    'a Slack API URL that is a file',
    top('notify: { slack: { channel: ops, token: { env: T }, apiUrl: "file:///etc/passwd" } }'),
    'notify.slack.apiUrl',
    '"file:',
    'expected an http or https URL',
  ],
  [
    'the audit log and the drill log in one file',
    top('audit: { file: log.jsonl, drills: log.jsonl }'),
    'audit.drills',
    'log.jsonl }',
    'the drill log needs a file of its own',
  ],
  [
    'an audit path with a newline',
    top('audit: { file: "a\\nb.jsonl" }'),
    'audit.file',
    '"a\\nb',
    'a path must not contain a newline',
  ],
];

const SERVICE_ROWS: Row[] = [
  // Settings of the other strategy, given on purpose: refused, not ignored.
  [
    'slots on a rolling service',
    rolling({ slots: '{ blue: 9001, green: 9002 }' }),
    'services.worker.slots',
    '{ blue: 9001',
    'slots apply to blue-green services',
  ],
  [
    'drainWait on a rolling service',
    rolling({ drainWait: '10s' }),
    'services.worker.drainWait',
    '10s',
    'drainWait applies to blue-green services',
  ],
  [
    'a port on a blue-green service',
    bg({ port: '8000' }),
    'services.api.port',
    '8000',
    'port applies to rolling services; a blue-green service serves on slots.blue and slots.green',
  ],
  [
    'batchSize on a blue-green service',
    bg({ batchSize: '2' }),
    'services.api.batchSize',
    { after: 'batchSize: ' },
    'batchSize applies to rolling services',
  ],
  [
    'maxFailures on a blue-green service',
    bg({ maxFailures: '1' }),
    'services.api.maxFailures',
    { after: 'maxFailures: ' },
    'maxFailures applies to rolling services',
  ],
  [
    'a blue-green service without slots',
    bg({ slots: null }),
    'services.api.strategy',
    'blue-green',
    'blue-green needs slots',
  ],
  [
    'a rolling service without a port',
    rolling({ port: null }),
    'services.worker.strategy',
    'rolling',
    'rolling needs port',
  ],
  [
    'an unknown strategy',
    bg({ strategy: 'canary' }),
    'services.api.strategy',
    'canary',
    /expected one of "blue-green"\|"rolling"/,
  ],
  ['an unknown key in a service', bg({ replicas: '3' }), 'services.api.replicas', 'replicas', 'unknown key'],
  [
    'a key in the wrong case',
    bg({ drainwait: '5s' }),
    'services.api.drainwait',
    'drainwait',
    'unknown key (did you mean drainWait?)',
  ],
  [
    'a typo for a required key (one line, not two)',
    cfg().replace(HOSTS[0], '      web-1: { adress: 10.0.0.1, roles: [web] }'),
    'environments.prod.hosts.web-1.adress',
    'adress',
    'unknown key (did you mean address?)',
  ],
  [
    'an unknown key in a load balancer',
    bg({ loadBalancer: '{ role: lb, upstreamFile: /etc/nginx/api.conf, upstream: api, weight: 2 }' }),
    'services.api.loadBalancer.weight',
    'weight',
    'unknown key',
  ],
  // References.
  [
    'a role no host has',
    bg({ roles: '[web, api]' }),
    'services.api.roles[1]',
    'api]',
    'no host in any environment has role "api" (roles: db, lb, web)',
  ],
  [
    'a load balancer role no host has',
    bg({ loadBalancer: '{ role: nginx, upstreamFile: /etc/nginx/api.conf, upstream: api }' }),
    'services.api.loadBalancer.role',
    'nginx,',
    'no host in any environment has role "nginx"',
  ],
  [
    'roles that no one environment holds together',
    yml(
      ...SSH,
      'environments:',
      '  staging:',
      '    hosts: { s-web-1: { address: 10.1.0.1, roles: [web] } }',
      '  prod:',
      '    hosts: { lb-1: { address: 10.0.0.9, roles: [lb] } }',
      ...entry('services', 'api', BLUE_GREEN),
    ),
    'services.api.roles',
    ['[web]', 2],
    'no environment has a host for every role this service needs (web: staging; lb: prod)',
  ],
  // Ports.
  [
    'two services on one port of a host',
    cfg(...entry('services', 'api', BLUE_GREEN), ...entry('services', 'worker', ROLLING, { port: '8002' }).slice(1)),
    'services.worker.port',
    '8002\n',
    'port 8002 is also services.api.slots.green on host web-1 (environment prod): give another port',
  ],
  [
    'a service on the ssh port',
    rolling({ port: '22' }),
    'services.worker.port',
    { after: 'port: ' },
    'port 22 is also the ssh port on host web-1',
  ],
  [
    'the same port for both slots',
    bg({ slots: '{ blue: 8001, green: 8001 }' }),
    'services.api.slots',
    '{ blue: 8001, green',
    'blue and green need different ports',
  ],
  [
    'a slot port out of range',
    bg({ slots: '{ blue: 8001, green: 0 }' }),
    'services.api.slots.green',
    '0 }',
    'expected a port',
  ],
  [
    "two services in one directory (each would prune the other's releases)",
    cfg(
      ...entry('services', 'api', BLUE_GREEN),
      ...entry('services', 'worker', ROLLING, { dir: '/srv/api/' }).slice(1),
    ),
    'services.worker.dir',
    '/srv/api/',
    '/srv/api is also services.api.dir on host web-1 (environment prod): each service needs a directory of its own',
  ],
  [
    'two services writing one upstream file',
    cfg(
      ...entry('services', 'api', BLUE_GREEN),
      ...entry('services', 'worker', ROLLING, {
        loadBalancer: '{ role: lb, upstreamFile: /etc/nginx/api.conf, upstream: worker }',
      }).slice(1),
    ),
    'services.worker.loadBalancer.upstreamFile',
    ['/etc/nginx/api.conf', 2],
    'is also services.api.loadBalancer.upstreamFile on host lb-1 (environment prod): each service needs an upstream file',
  ],
  [
    'two services naming one upstream block',
    cfg(
      ...entry('services', 'api', BLUE_GREEN),
      ...entry('services', 'worker', ROLLING, {
        loadBalancer: '{ role: lb, upstreamFile: /etc/nginx/worker.conf, upstream: api }',
      }).slice(1),
    ),
    'services.worker.loadBalancer.upstream',
    ['api }', 2],
    'upstream api is also services.api.loadBalancer.upstream on host lb-1 (environment prod): nginx refuses two',
  ],
  // Paths.
  [
    'a service dir that is the root',
    bg({ dir: '/srv/..' }),
    'services.api.dir',
    '/srv/..',
    'this is the root directory: give a directory of its own',
  ],
  [
    'a service dir that ends with a space',
    bg({ dir: '"/srv/api "' }),
    'services.api.dir',
    '"/srv/api "',
    'starts or ends with a space',
  ],
  [
    'a service dir that climbs out of the host dir',
    bg({ dir: '../../etc' }),
    'services.api.dir',
    '../../etc',
    '"../../etc" climbs out of the host\'s dir with "..": write an absolute path instead',
  ],
  ['a service dir under ~', bg({ dir: '~/api' }), 'services.api.dir', '~/api', '"~" is not expanded on the host'],
  [
    'a service dir that is an option',
    bg({ dir: '-rf' }),
    'services.api.dir',
    '-rf',
    '"-rf" starts with "-": write ./-rf',
  ],
  [
    'a service dir with a newline',
    bg({ dir: '"/srv/api\\nrm -rf /"' }),
    'services.api.dir',
    '"/srv/api',
    'a path must not contain a newline',
  ],
  [
    'a relative upstream file',
    bg({ loadBalancer: '{ role: lb, upstreamFile: api.conf, upstream: api }' }),
    'services.api.loadBalancer.upstreamFile',
    'api.conf',
    'expected an absolute path (starting with "/"), got "api.conf"',
  ],
  [
    'an upstream file that is a directory',
    bg({ loadBalancer: '{ role: lb, upstreamFile: /etc/nginx/, upstream: api }' }),
    'services.api.loadBalancer.upstreamFile',
    '/etc/nginx/,',
    'expected a file, not a directory',
  ],
  [
    'an upstream name nginx would not take',
    bg({ loadBalancer: '{ role: lb, upstreamFile: /etc/nginx/api.conf, upstream: "api; }" }' }),
    'services.api.loadBalancer.upstream',
    '"api; }"',
    'expected an nginx upstream name',
  ],
  // Templates.
  [
    'an unclosed placeholder',
    bg({ start: "'systemctl start api@{{slot'" }),
    'services.api.start',
    "'systemctl start api@",
    'unclosed placeholder "{{slot": write {{name}}',
  ],
  [
    'an unknown placeholder with spaces',
    bg({ stop: "'systemctl stop {{ unknown }}'" }),
    'services.api.stop',
    "'systemctl stop {{",
    'unknown placeholder {{unknown}} (known: version, release, dir, slot, port',
  ],
  ['an empty placeholder', bg({ start: "'run {{}}'" }), 'services.api.start', "'run {{}}'", 'unknown placeholder {{}}'],
  [
    'a health command with an unclosed placeholder',
    rolling({ health: "{ command: 'curl localhost:{{port/health' }" }),
    'services.worker.health.command',
    "'curl localhost",
    'unclosed placeholder "{{port/health"',
  ],
  [
    'an artifact with a placeholder only commands have',
    bg({ artifact: "{ file: 'api-{{slot}}.tgz' }" }),
    'services.api.artifact.file',
    "'api-{{slot}}.tgz'",
    'unknown placeholder {{slot}} (known: version)',
  ],
  [
    'an expected body with a placeholder it does not fill',
    bg({ health: "{ http: { path: /health, expectBody: 'ok {{port}}' } }" }),
    'services.api.health.http.expectBody',
    "'ok {{port}}'",
    'unknown placeholder {{port}} (known: version)',
  ],
  [
    'a reload command with a placeholder of one release',
    bg({
      loadBalancer: "{ role: lb, upstreamFile: /etc/nginx/api.conf, upstream: api, reload: 'reload {{version}}' }",
    }),
    'services.api.loadBalancer.reload',
    "'reload {{version}}'",
    'unknown placeholder {{version}}: the load balancer runs this for the service, not for one release',
  ],
  [
    'an artifact URL that is a local file',
    bg({ artifact: "{ url: 'file:///etc/{{version}}', sha256Url: 'https://x.example/sum' }" }),
    'services.api.artifact.url',
    "'file:",
    'expected an http or https URL',
  ],
  [
    'an artifact of neither kind',
    bg({ artifact: '{ path: api.tgz }' }),
    'services.api.artifact',
    '{ path: api.tgz }',
    'expected { file, sha256File? } or { url, sha256Url }',
  ],
  // Health.
  [
    'a health path that is no path',
    bg({ health: '{ http: { path: health } }' }),
    'services.api.health.http.path',
    'health }',
    'expected a path starting with /',
  ],
  [
    'a health path with a space',
    bg({ health: '{ http: { path: "/health check" } }' }),
    'services.api.health.http.path',
    '"/health check"',
    'expected a path starting with / (no spaces)',
  ],
  [
    'a zero health interval',
    bg({ health: '{ http: { path: /health }, interval: 0 }' }),
    'services.api.health.interval',
    '0 }',
    'expected a duration longer than 0',
  ],
  [
    'a health interval as long as its timeout',
    bg({ health: '{ http: { path: /health }, timeout: 5s, interval: 5s }' }),
    'services.api.health.interval',
    { after: 'interval: ' },
    'is not shorter than the timeout (5000 ms): the gate would probe once',
  ],
  [
    'an expected body that is empty (every body contains it)',
    bg({ health: '{ http: { path: /health, expectBody: "" } }' }),
    'services.api.health.http.expectBody',
    '""',
    'expected text the body must contain, got an empty string',
  ],
  [
    'an empty artifact file (one line, not one per check)',
    bg({ artifact: '{ file: "" }' }),
    'services.api.artifact.file',
    '""',
    'expected a path, got an empty string',
  ],
  [
    'an expected status out of range',
    bg({ health: '{ http: { path: /health, expectStatus: 99 } }' }),
    'services.api.health.http.expectStatus',
    '99',
    'expected number to be >=100',
  ],
  // Counts.
  [
    'a batch of 0%',
    rolling({ batchSize: '0%' }),
    'services.worker.batchSize',
    '0%',
    'expected a count or a percentage like 25%',
  ],
  [
    'a batch of 150%',
    rolling({ batchSize: '150%' }),
    'services.worker.batchSize',
    '150%',
    'expected a count or a percentage like 25%',
  ],
  [
    'a batch of 100.5%',
    rolling({ batchSize: '100.5%' }),
    'services.worker.batchSize',
    '100.5%',
    'expected a count or a percentage like 25%',
  ],
  ['a batch of 0 hosts', rolling({ batchSize: '0' }), 'services.worker.batchSize', { after: 'batchSize: ' }, '>=1'],
  [
    'a negative maxFailures',
    rolling({ maxFailures: '-1' }),
    'services.worker.maxFailures',
    { after: 'maxFailures: ' },
    '>=0',
  ],
  ['one release kept', bg({ releasesKept: '1' }), 'services.api.releasesKept', { after: 'releasesKept: ' }, '>=2'],
  [
    'a command of spaces only',
    rolling({ start: "'   '" }),
    'services.worker.start',
    "'   '",
    'expected a command, got only spaces',
  ],
  ['a service on no role', bg({ roles: '[]' }), 'services.api.roles', '[]', 'expected at least one role'],
  [
    'a command that is empty',
    rolling({ stop: "''" }),
    'services.worker.stop',
    "''",
    'expected a command, got an empty string',
  ],
  [
    'a services section with nothing in it',
    cfg('services:'),
    'services',
    { after: 'services:' },
    'expected a map, got an empty value',
  ],
  ['releasesKept as a string', bg({ releasesKept: '"5"' }), 'services.api.releasesKept', '"5"', 'expected number'],
  // Settings and secrets.
  [
    'a setting name that is not a variable name',
    bg({ env: '{ LOG-LEVEL: info }' }),
    'services.api.env.LOG-LEVEL',
    'LOG-LEVEL',
    'expected an environment variable name',
  ],
  [
    'a setting value with a newline (a second variable in runway.env)',
    bg({ env: '{ LOG_LEVEL: "info\\nPATH=/tmp/evil" }' }),
    'services.api.env.LOG_LEVEL',
    '"info',
    'a setting must not contain a newline',
  ],
  [
    'a name both in env and in secrets',
    bg({ env: '{ DB_URL: x }', secrets: '{ DB_URL: { env: DB_URL } }' }),
    'services.api.secrets.DB_URL',
    '{ env: DB_URL }',
    'DB_URL is also in env: give it in env or in secrets, not both',
  ],
  [
    'a service name with a slash',
    cfg(...entry('services', 'api/v2', BLUE_GREEN)),
    'services.api/v2',
    'api/v2',
    'expected a name of letters, digits',
  ],
];

const BACKUP_ROWS: Row[] = [
  [
    'a set in an environment named like an Object method',
    pgSet({ environment: 'constructor' }),
    'backups.app.environment',
    'constructor',
    'unknown environment "constructor" (known: prod)',
  ],
  [
    'a set on an unknown host',
    pgSet({ host: 'db-9' }),
    'backups.app.host',
    'db-9',
    'no host "db-9" in environment prod',
  ],
  [
    'a set on an unknown role',
    filesSet({ role: 'app' }),
    'backups.site.role',
    { after: 'role: ' },
    'no host in environment prod has role "app"',
  ],
  [
    'an off-host copy on the same host',
    pgSet({ copyTo: '{ host: db-1 }' }),
    'backups.app.copyTo.host',
    'db-1 }',
    'the copy would land on db-1, the host the set is taken on',
  ],
  [
    'an off-host copy by a role whose first host is the source',
    pgSet({ copyTo: '{ role: db }' }),
    'backups.app.copyTo.role',
    'db }',
    'the copy would land on db-1',
  ],
  [
    'a backup dir that climbs out of the host dir',
    pgSet({ dir: '../../var/lib/postgresql' }),
    'backups.app.dir',
    '../../var',
    'climbs out of the host\'s dir with ".."',
  ],
  [
    'a copy dir under ~',
    pgSet({ copyTo: '{ host: db-2, dir: ~/offsite }' }),
    'backups.app.copyTo.dir',
    '~/offsite',
    '"~" is not expanded on the host',
  ],
  [
    'files paths that climb out',
    filesSet({ paths: '[site, ../../etc/shadow]' }),
    'backups.site.paths[1]',
    '../../etc/shadow',
    "climbs out of the host's dir",
  ],
  [
    'postgres keys on a files set',
    filesSet({ database: 'app' }),
    'backups.site.database',
    { after: 'database: ' },
    'applies to kind: postgres only',
  ],
  [
    'files keys on a postgres set',
    pgSet({ paths: '[/etc]' }),
    'backups.app.paths',
    '[/etc]',
    'applies to kind: files only',
  ],
  [
    'a pg_dump option that moves the dump',
    pgSet({ dumpOptions: '["--file=/tmp/elsewhere"]' }),
    'backups.app.dumpOptions[0]',
    '"--file',
    'Runway sets --file itself',
  ],
  [
    'a pg_dump format hidden in a cluster of flags',
    pgSet({ dumpOptions: '[-xFp]' }),
    'backups.app.dumpOptions[0]',
    '-xFp',
    'Runway sets --format itself',
  ],
  [
    'a pg_dump option abbreviated',
    pgSet({ dumpOptions: '["--fil=/tmp/x"]' }),
    'backups.app.dumpOptions[0]',
    '"--fil',
    'Runway sets --file itself',
  ],
  [
    'two pg_dump options in one item',
    pgSet({ dumpOptions: '["--no-owner --clean"]' }),
    'backups.app.dumpOptions[0]',
    '"--no-owner --clean"',
    'expected one pg_dump option per item',
  ],
  [
    'a database host with a space',
    pgSet({ connection: '{ host: "db host" }' }),
    'backups.app.connection.host',
    '"db host"',
    'expected a socket directory (absolute) or a host name',
  ],
  [
    'a database role that is an option',
    pgSet({ connection: '{ user: -Upostgres }' }),
    'backups.app.connection.user',
    '-Upostgres',
    'expected a database role name',
  ],
  [
    'copies kept as a string',
    pgSet({ keep: '"7"' }),
    'backups.app.keep',
    '"7"',
    'expected a count of copies (1-1000) or { count, maxAge }',
  ],
  [
    'zero copies kept',
    pgSet({ keep: '0' }),
    'backups.app.keep',
    { after: 'keep: ' },
    /expected number to be >=1|Too small/,
  ],
  [
    'a zero max age',
    pgSet({ keep: '{ count: 3, maxAge: 0s }' }),
    'backups.app.keep.maxAge',
    '0s }',
    'expected a duration longer than 0',
  ],
  [
    'a cron minute of 61',
    pgSet({ schedule: "{ backup: '61 2 * * *' }" }),
    'backups.app.schedule.backup',
    "'61",
    'minute "61": expected 0-59',
  ],
  [
    'a cron hour of 24',
    pgSet({ schedule: "{ backup: '0 24 * * *' }" }),
    'backups.app.schedule.backup',
    "'0 24",
    'hour "24": expected 0-23',
  ],
  [
    'a cron day of month 32',
    pgSet({ schedule: "{ verify: '0 2 32 * *' }" }),
    'backups.app.schedule.verify',
    "'0 2 32",
    'day of month "32": expected 1-31',
  ],
  [
    'a cron month 13',
    pgSet({ schedule: "{ backup: '0 2 1 13 *' }" }),
    'backups.app.schedule.backup',
    "'0 2 1 13",
    'month "13": expected 1-12 or JAN-DEC',
  ],
  [
    'a cron day of week FUN',
    pgSet({ schedule: "{ backup: '0 2 * * FUN' }" }),
    'backups.app.schedule.backup',
    "'0 2 * * FUN'",
    'day of week "FUN": expected 0-7 or SUN-SAT',
  ],
  [
    'a cron "?" (Temporal refuses it)',
    pgSet({ schedule: "{ backup: '0 2 ? * MON' }" }),
    'backups.app.schedule.backup',
    "'0 2 ?",
    'day of month "?": expected 1-31',
  ],
  [
    'a cron range that runs backwards',
    pgSet({ schedule: "{ backup: '0 5-1 * * *' }" }),
    'backups.app.schedule.backup',
    "'0 5-1",
    'the range 5-1 runs backwards',
  ],
  [
    'a cron step of 0',
    pgSet({ schedule: "{ backup: '*/0 * * * *' }" }),
    'backups.app.schedule.backup',
    "'*/0",
    'a step is /1 to /99',
  ],
  [
    'a cron expression of 6 fields',
    pgSet({ schedule: "{ backup: '0 0 2 * * *' }" }),
    'backups.app.schedule.backup',
    "'0 0 2",
    'expected a cron expression of 5 fields',
  ],
  [
    'an interval shorter than a second',
    pgSet({ schedule: '{ backup: { every: 500ms } }' }),
    'backups.app.schedule.backup.every',
    '500ms',
    'expected at least 1s',
  ],
  [
    'an offset as long as the interval',
    pgSet({ schedule: '{ backup: { every: 1h, offset: 1h } }' }),
    'backups.app.schedule.backup.offset',
    '1h }',
    'offset must be shorter than every',
  ],
  [
    'a verify query name with a newline',
    pgSet({ verify: '{ queries: [{ name: "a\\nb", sql: "select 1", expect: 1 }] }' }),
    'backups.app.verify.queries[0].name',
    '"a\\nb"',
    'a query name must not contain a newline',
  ],
];

const DRILL_ROWS: Row[] = [
  [
    'a drill of a set named like an Object method',
    drill({ backup: 'toString' }),
    'drills.dr.backup',
    'toString',
    'unknown backup set "toString" (known: app)',
  ],
  [
    'a drill onto an unknown host',
    drill({ target: '{ host: dr-1, database: app_dr }' }),
    'drills.dr.target.host',
    'dr-1',
    'no host "dr-1" in environment prod',
  ],
  [
    'a drill that restores over the database it backs up',
    drill({ target: '{ host: db-1, database: app }' }),
    'drills.dr.target.database',
    'app }',
    'db-1 holds app, the database app backs up: restore into another database',
  ],
  [
    'a database for a drill of a files set',
    drill({ target: '{ host: db-2, database: app_dr }' }, FILES),
    'drills.dr.target.database',
    'app_dr',
    'database applies to drills of postgres sets; app is a files set',
  ],
  [
    'a drill restoring into the root',
    drill({ target: '{ host: db-2, dir: / }' }, FILES),
    'drills.dr.target.dir',
    '/ }',
    'this is the root directory',
  ],
  [
    'a drill dir that climbs out',
    drill({ target: '{ host: db-2, database: app_dr, dir: ../.. }' }),
    'drills.dr.target.dir',
    '../..',
    "climbs out of the host's dir",
  ],
  [
    'a drill app port taken by sshd',
    drill({ app: '{ start: run, stop: halt, port: 22 }' }),
    'drills.dr.app.port',
    '22 }',
    'port 22 is also the ssh port on host db-2',
  ],
  [
    'a drill command with an unclosed placeholder',
    drill({ app: "{ start: 'run --db {{database', stop: halt }" }),
    'drills.dr.app.start',
    "'run --db",
    'unclosed placeholder "{{database": write {{name}}',
  ],
  [
    'a zero RTO objective',
    drill({ objectives: '{ rto: 0s }' }),
    'drills.dr.objectives.rto',
    '0s }',
    'expected a duration longer than 0',
  ],
  [
    'a smoke check path with no slash',
    drill({ app: '{ start: run, stop: halt, port: 9100 }', smoke: '[{ http: { path: health } }]' }),
    'drills.dr.smoke[0].http.path',
    'health }',
    'expected a path starting with /',
  ],
];

const CERT_ROWS: Row[] = [
  [
    'a certificate in an unknown environment',
    cert({ environment: 'staging' }),
    'certificates.site.environment',
    'staging',
    'unknown environment "staging" (known: prod)',
  ],
  [
    'an endpoint on an unknown role',
    cert({ endpoints: '[{ role: edge }]' }),
    'certificates.site.endpoints[0].role',
    'edge',
    'no host in environment prod has role "edge"',
  ],
  [
    'a domain listed twice',
    cert({ domains: '[api.example.com, API.example.com]' }),
    'certificates.site.domains[1]',
    'API.example.com',
    'API.example.com is listed twice',
  ],
  [
    'two certificates installed into one file',
    cfg(
      ...entry('certificates', 'site', ACME_CERT),
      ...entry('certificates', 'other', {
        ...ACME_CERT,
        domains: '[www.example.com]',
        install: ACME_CERT.install.replace('tls/api.key', 'tls/www.key'),
      }).slice(1),
    ),
    'certificates.other.install.certificate',
    ['/etc/nginx/tls/api.crt', 2],
    'is also certificates.site.install.certificate on host lb-1 (environment prod): each certificate needs files',
  ],
  [
    'a certificate with no endpoint to check',
    cert({ endpoints: '[]' }),
    'certificates.site.endpoints',
    '[]',
    'expected at least one endpoint to check',
  ],
  [
    'a renew-before of 0%',
    cert({ renewBefore: '0%' }),
    'certificates.site.renewBefore',
    '0%',
    'a share of 0% would never renew',
  ],
  [
    'an endpoint port out of range',
    cert({ endpoints: '[{ role: lb, port: 65536 }]' }),
    'certificates.site.endpoints[0].port',
    '65536',
    'expected a port number (1-65535)',
  ],
  [
    'an install host that does not exist',
    cert(
      {
        install:
          '{ host: lb-9, certificate: /etc/nginx/tls/api.crt, key: /etc/nginx/tls/api.key, test: nginx -t, reload: nginx -s reload }',
      },
      ACME_CERT,
    ),
    'certificates.site.install.host',
    'lb-9',
    'no host "lb-9" in environment prod',
  ],
  [
    'an install path that is an option',
    cert(
      {
        install: '{ role: lb, certificate: -rf, key: /etc/nginx/tls/api.key, test: nginx -t, reload: nginx -s reload }',
      },
      ACME_CERT,
    ),
    'certificates.site.install.certificate',
    '-rf',
    'a path must not start with "-"',
  ],
  [
    'a reload with an unknown placeholder',
    cert(
      {
        install:
          "{ role: lb, certificate: /etc/nginx/tls/api.crt, key: /etc/nginx/tls/api.key, test: nginx -t, reload: 'reload {{version}}' }",
      },
      ACME_CERT,
    ),
    'certificates.site.install.reload',
    "'reload {{version}}'",
    'unknown placeholder {{version}} (known: host, address, dir, certificate, key, chain)',
  ],
  [
    'an ACME directory over plain http',
    cert(
      {
        acme: '{ directory: "http://acme.example/dir", accountKey: { env: ACME_KEY }, challenge: { http01: { role: lb, webroot: /var/www/acme } } }',
      },
      ACME_CERT,
    ),
    'certificates.site.acme.directory',
    '"http://acme',
    'expected the https URL of an ACME directory',
  ],
  [
    'a check schedule Temporal would refuse',
    cert({ schedule: "{ check: '0 6 * * 9' }" }),
    'certificates.site.schedule.check',
    "'0 6 * * 9'",
    'day of week "9": expected 0-7 or SUN-SAT',
  ],
];

const ROWS: Row[] = [
  ...YAML_ROWS,
  ...HOST_ROWS,
  ...SSH_ROWS,
  ...TEMPORAL_ROWS,
  ...SERVICE_ROWS,
  ...BACKUP_ROWS,
  ...DRILL_ROWS,
  ...CERT_ROWS,
];

describe('the pieces every row starts from', () => {
  it.each([
    ['ssh and environments', cfg()],
    [
      'addresses of every kind',
      cfg()
        .replace(HOSTS[0], '      web-1: { address: web-1.example.com., roles: [web] }')
        .replace(HOSTS[1], '      web-2: { address: "fd00::2", roles: [web] }')
        .replace(HOSTS[2], '      lb-1: { address: localhost, port: 2201, user: _ops, roles: [lb] }'),
    ],
    ['a blue-green service', bg()],
    ['a rolling service', rolling()],
    [
      'both services, each on its own ports',
      cfg(...entry('services', 'api', BLUE_GREEN), ...entry('services', 'worker', ROLLING).slice(1)),
    ],
    ['a postgres set', pgSet()],
    ['a files set', filesSet()],
    ['a drill', drill()],
    ['a drill of a files set', drill({ target: '{ host: db-2 }' }, FILES)],
    ['a monitored certificate', cert()],
    [
      'a certificate checked with a name of its own (an origin behind a CDN)',
      cert({ endpoints: '[{ role: lb, sni: origin.example.net }]' }),
    ],
    ['a renewed certificate', cert({}, ACME_CERT)],
    ['a rolling service with its own batches', rolling({ batchSize: '2', maxFailures: '1', releasesKept: '3' })],
    ['child workflows of its own size', cfg('fanout: { childAbove: 10, hostsPerChild: 20 }')],
    ['a blue-green service with its own drain wait', bg({ drainWait: '0s' })],
    [
      'a cron expression with names, ranges, steps and lists',
      pgSet({ schedule: "{ backup: '*/15 1-5 * JAN-MAR,dec MON-fri', verify: '0 3 1,15 * MON#2' }" }),
    ],
    [
      'anchors and aliases of modest size',
      cfg()
        .replace(HOSTS[0], '      web-1: { address: 10.0.0.1, roles: &web [web] }')
        .replace(HOSTS[1], '      web-2: { address: 10.0.0.2, roles: *web }'),
    ],
  ])('accepts %s', (_name, text) => {
    expect(() => parseConfig(text, FILE)).not.toThrow();
  });
});

describe(`a corpus of ${ROWS.length} malformed configs`, () => {
  it.each(ROWS)('refuses %s', (_name, text, path, where, message) => {
    expectOneLine(problemLines(text), `${FILE}:${position(text, where)} ${path}: `, message);
  });

  it('takes each row apart in time, the bombs included', () => {
    const started = Date.now();
    for (const [, text] of [...YAML_ROWS]) expect(() => parseConfig(text, FILE)).toThrow(ConfigError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("a client's config (its temporal: section alone) is held to the same rules", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runway-client-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const CLIENT_ROWS: Row[] = [
    [
      'tls with the embedded server',
      yml('temporal: { tls: true }'),
      'temporal.tls',
      'true',
      'tls applies to an external cluster',
    ],
    [
      'devServer with an external cluster',
      yml('temporal: { address: t.example.com:7233, devServer: { port: 7234 } }'),
      'temporal.devServer',
      '{ port',
      'devServer applies to the embedded server',
    ],
    [
      'an address with a command in it',
      yml('temporal: { address: "t.example.com:7233; rm -rf /" }'),
      'temporal.address',
      '"t.example.com',
      'expected host:port',
    ],
    ['an unknown key', yml('temporal: { adress: t.example.com:7233 }'), 'temporal.adress', 'adress', 'unknown key'],
    ['a key given twice', yml('temporal: {}', 'temporal: {}'), 'yaml', ['temporal', 2], '"temporal" is given twice'],
  ];

  it.each(CLIENT_ROWS)('refuses %s', (_name, text, path, where, message) => {
    const file = join(dir, 'runway.yml');
    writeFileSync(file, text);
    let lines: string[] = [];
    try {
      loadClientConfig(file, {});
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      lines = err.message.split('\n');
    }
    expectOneLine(lines, `${file}:${position(text, where)} ${path}: `, message);
  });

  it('accepts a client config that points at a cluster', () => {
    const file = join(dir, 'runway.yml');
    writeFileSync(file, yml('temporal: { address: t.example.com:7233, tls: true, apiKey: { env: KEY } }'));
    expect(loadClientConfig(file, {}).temporal.address).toBe('t.example.com:7233');
  });
});
