import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { resolveSecret, Secret, temporalTarget, TemporalSchema } from '../config';
import { connectClient, startWorker, startWorld, type TestWorld } from './support/harness';
import { historyText } from './support/history';

describe('secrets are references, resolved late and printed as [REDACTED]', () => {
  it('a Secret never prints its value', () => {
    const s = new Secret('hunter2');
    expect([String(s), `${s}`, JSON.stringify({ s }), inspect(s), inspect({ nested: { s } })].join(' ')).not.toContain(
      'hunter2',
    );
    expect(s.reveal()).toBe('hunter2');
  });

  it('resolves env and file references, and names the reference (never a value) when it cannot', () => {
    process.env.RUNWAY_TEST_SECRET = 'from-env';
    expect(resolveSecret({ env: 'RUNWAY_TEST_SECRET' }, 'x').reveal()).toBe('from-env');
    const file = join(__dirname, '..', '.runway', 'test-secret.txt');
    writeFileSync(file, 'from-file\n');
    expect(resolveSecret({ file }, 'x').reveal()).toBe('from-file');
    expect(() => resolveSecret({ env: 'RUNWAY_TEST_UNSET' }, 'notify.slack.token')).toThrow(
      'notify.slack.token: environment variable RUNWAY_TEST_UNSET is not set',
    );
  });

  it('temporal: env overrides, embedded defaults, TLS files and an API key from the environment', () => {
    const embedded = temporalTarget(TemporalSchema.parse({}), {});
    expect(embedded).toMatchObject({
      address: '127.0.0.1:7233',
      embedded: true,
      uiUrl: 'http://localhost:8233',
      taskQueue: 'runway',
    });
    const dir = join(__dirname, '..', '.runway');
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    const external = temporalTarget(
      TemporalSchema.parse({
        address: 'temporal.internal:7233',
        tls: {
          serverName: 'temporal',
          ca: { file: join(dir, 'ca.pem') },
          cert: { file: join(dir, 'cert.pem') },
          key: { file: join(dir, 'key.pem') },
        },
      }),
      { TEMPORAL_NAMESPACE: 'ops' },
    );
    expect(external).toMatchObject({
      address: 'temporal.internal:7233',
      namespace: 'ops',
      embedded: false,
      uiUrl: undefined,
    });
    expect(external.tls).toMatchObject({ serverNameOverride: 'temporal', serverRootCACertificate: Buffer.from('CA') });
    process.env.RUNWAY_TEST_API_KEY = 'key-123';
    const cloud = temporalTarget(
      TemporalSchema.parse({ address: 'x.tmprl.cloud:7233', apiKey: { env: 'RUNWAY_TEST_API_KEY' } }),
      {
        TEMPORAL_ADDRESS: 'override:7233',
      },
    );
    expect(cloud).toMatchObject({ address: 'override:7233', apiKey: 'key-123', tls: true });
  });
});

/** A passphrase-protected key, its passphrase from the environment: the run works and nothing secret is recorded. */
describe('no secret reaches a history, a report or a log', () => {
  let world: TestWorld;
  const passphrase = 'correct horse battery staple';
  const token = 'xoxb-0000-runway-test-token';
  let keyText = '';
  const logged: string[] = [];

  beforeAll(async () => {
    world = await startWorld('secrets', 1, { names: ['web-1'] });
    const key = join(world.dir, 'deploy_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', key]);
    appendFileSync(join(world.sandbox.dir, 'authorized_keys'), readFileSync(`${key}.pub`));
    keyText = readFileSync(key, 'utf8');
    process.env.RUNWAY_TEST_PASSPHRASE = passphrase;
    process.env.RUNWAY_TEST_SLACK = token;
    const config = readFileSync(world.configFile, 'utf8')
      .replace(
        /key: \{ file: .* \}/,
        `key: { file: ${JSON.stringify(key)}, passphrase: { env: RUNWAY_TEST_PASSPHRASE } }`,
      )
      .concat('notify:\n  slack: { channel: "#ops", token: { env: RUNWAY_TEST_SLACK } }\n');
    writeFileSync(world.configFile, config);
    for (const method of ['log', 'warn', 'error', 'info'] as const) {
      const original = console[method];
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
        original(...args);
      });
    }
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await world?.stop();
  });

  it('runs with the passphrase key; history, report and logs hold no passphrase, key or token', async () => {
    const worker = await startWorker(world);
    const runway = await connectClient(world);
    try {
      const handle = await runway.start('exec', { environment: 'test', hosts: ['web-1'], command: 'env; echo ran' });
      const outcome = await runway.wait(handle);
      expect(outcome.exitCode).toBe(0);
      expect(outcome.report?.steps[0].hosts['web-1'].stdoutTail).toContain('ran');
      const history = historyText(await handle.fetchHistory());
      const everything = [history, JSON.stringify(outcome), ...logged].join('\n');
      expect(everything).not.toContain(passphrase);
      expect(everything).not.toContain(token);
      for (const line of keyText.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
        expect(everything).not.toContain(line);
      }
      // The check can fail: the remote environment is in the output tail, so a secret exported there would show.
      expect(history).toContain('RUNWAY_HOST=web-1');
    } finally {
      await runway.close();
      await worker.stop();
    }
  });
});
