import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runCli, startWorker, startWorld, temporalAddress, waitFor, type TestWorld } from './support/harness';

/**
 * Every command that would start a run (or serve runs) reads the whole config first: a malformed entry anywhere in it
 * is one `file:line:col path: message` line on stderr, exit 2, and nothing started — no workflow on the world's task
 * queue, nothing on its host.
 */

/** Line and column (1-based) of the `nth` occurrence of `marker` in `text`. */
function position(text: string, marker: string, nth = 1): string {
  let offset = -1;
  for (let i = 0; i < nth; i++) offset = text.indexOf(marker, offset + 1);
  if (offset < 0) throw new Error(`marker ${JSON.stringify(marker)} is not in the text`);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** A rolling service on the world's host (role web), valid as it is. */
const SERVICE = [
  'services:',
  '  app:',
  '    strategy: rolling',
  '    roles: [web]',
  '    dir: app',
  "    artifact: { file: 'app-{{version}}.tgz' }",
  '    start: ./start {{version}}',
  '    stop: ./stop',
  '    health: { http: { path: /health } }',
  '    port: 18131',
];

/** A billion laughs: nine aliases of nine aliases, twelve levels deep. */
const BOMB = [
  'x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from({ length: 11 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`),
];

describe('a command that would start a run refuses a malformed config and starts nothing', () => {
  let world: TestWorld;
  let connection: Connection;
  let client: Client;
  let good: string;
  let hostDir: string;
  let hostFilesBefore: string[];
  let runsBefore: number;

  const runs = async () => (await client.workflow.count(`TaskQueue="${world.taskQueue}"`)).count;
  const hostFiles = () => (readdirSync(hostDir, { recursive: true }) as string[]).sort();

  beforeAll(async () => {
    world = await startWorld('hostilecli', 1);
    good = readFileSync(world.configFile, 'utf8') + SERVICE.join('\n') + '\n';
    writeFileSync(world.configFile, good);
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
    hostDir = world.sandbox.hosts[0].dir;
    hostFilesBefore = hostFiles();
    runsBefore = await runs();
  });
  afterAll(async () => {
    await connection?.close();
    await world?.stop();
  });

  const touch = () => ['--', 'touch', join(hostDir, 'RAN')];
  const address = () => `address: ${world.sandbox.hosts[0].address}`;

  /** [what, the command, the malformed config from the good one, the path reported, where it points, the message]. */
  const ROWS: Array<[string, () => string[], (text: string) => string, string, string | [string, number], string]> = [
    [
      'deploy, with slots on a rolling service',
      () => ['deploy', 'app', '1.0.0', '-e', 'test'],
      (t) => t + '    slots: { blue: 18132, green: 18133 }\n',
      'services.app.slots',
      '{ blue: 18132',
      'slots apply to blue-green services',
    ],
    [
      'deploy, with an unclosed placeholder',
      () => ['deploy', 'app', '1.0.0', '-e', 'test'],
      (t) => t.replace('./start {{version}}', './start {{version'),
      'services.app.start',
      './start {{version',
      'unclosed placeholder "{{version": write {{name}}',
    ],
    [
      'rollback, with a load balancer role no host has',
      () => ['rollback', 'app', '-e', 'test'],
      (t) => t + '    loadBalancer: { role: lb, upstreamFile: /etc/nginx/app.conf, upstream: app }\n',
      'services.app.loadBalancer.role',
      'lb,',
      'no host in any environment has role "lb"',
    ],
    [
      'exec, with a shell command in a host address',
      () => ['exec', '-e', 'test', '-r', 'web', ...touch()],
      (t) => t.replace(address(), 'address: "127.0.0.1; touch /tmp/pwned"'),
      'environments.test.hosts.host-1.address',
      '"127.0.0.1; touch',
      'is not a host name or an IP address',
    ],
    [
      'exec, with an ssh option for a user',
      () => ['exec', '-e', 'test', '-r', 'web', ...touch()],
      (t) => t.replace(address(), `${address()}, user: "-oProxyCommand=touch /tmp/pwned"`),
      'environments.test.hosts.host-1.user',
      '"-oProxyCommand',
      'starts with "-", which ssh would read as an option',
    ],
    [
      'exec, with a billion laughs',
      () => ['exec', '-e', 'test', '-r', 'web', ...touch()],
      (t) => t + BOMB.join('\n') + '\n',
      'yaml',
      '*a4',
      'aliases would expand this document by more than 100000 values',
    ],
    [
      'exec, with a host given twice',
      () => ['exec', '-e', 'test', '-r', 'web', ...touch()],
      (t) => t.replace(/^( {6}host-1: .*\n)/m, '$1$1'),
      'yaml',
      ['host-1:', 2],
      '"host-1" is given twice',
    ],
    [
      'the worker, with a drain wait on a rolling service',
      () => ['worker'],
      (t) => t + '    drainWait: 5s\n',
      'services.app.drainWait',
      '5s',
      'drainWait applies to blue-green services',
    ],
  ];

  it.each(ROWS)('%s: exit 2, one line', async (name, args, malform, path, where, message) => {
    const text = malform(good);
    expect(text).not.toBe(good);
    const file = join(world.dir, `malformed-${ROWS.findIndex((r) => r[0] === name)}.yml`);
    writeFileSync(file, text);
    const started = Date.now();
    const result = await runCli(['-c', file, ...args()]);
    const [marker, nth] = typeof where === 'string' ? [where, 1] : where;
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toEqual([expect.stringContaining(`runway: ${file}:${position(text, marker, nth)} ${path}: `)]);
    expect(lines[0]).toContain(message);
    expect(result.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('runway config check says the same', async () => {
    const text = good + BOMB.join('\n') + '\n';
    const file = join(world.dir, 'bomb.yml');
    writeFileSync(file, text);
    const result = await runCli(['config', 'check', file]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `runway: ${file}:${position(text, '*a4')} yaml: aliases would expand this document by more than 100000 values: write the values out`,
    ]);
  });

  it('started no workflow and left the host untouched', async () => {
    await new Promise((r) => setTimeout(r, 1_000)); // visibility is eventually consistent
    expect(await runs()).toBe(runsBefore);
    expect(hostFiles()).toEqual(hostFilesBefore);
  });

  it('(control) the good config is accepted, and an exec with it is counted and reaches the host', async () => {
    expect(await runCli(['config', 'check', world.configFile])).toMatchObject({ code: 0, stderr: '' });
    const worker = await startWorker(world);
    try {
      const result = await runCli(['-c', world.configFile, 'exec', '-e', 'test', '-r', 'web', ...touch()]);
      expect(result).toMatchObject({ code: 0 });
    } finally {
      await worker.stop();
    }
    await waitFor('the run to be visible', async () => (await runs()) === runsBefore + 1);
    expect(hostFiles()).toContain('RAN');
  });
});
