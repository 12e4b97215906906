import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parse, stringify } from 'yaml';
import { SshPool } from '../activities';
import { createExec } from '../activities/ssh/exec';
import type { RunwayClient } from '../client/lib';
import { loadConfig } from '../config';
import { quote } from '../core/quote';
import type { HostRef } from '../core/plan';
import { connectClient, startWorker, startWorld, type TestWorld } from './support/harness';
import { historyText } from './support/history';

/** Host key checks on real sshd: a changed or unknown key stops the run before any command reaches the host. */
describe('host keys on real sshd', () => {
  let world: TestWorld;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  let runway: RunwayClient;
  let privateKey: string;

  const marker = (i: number) => join(world.sandbox.hosts[i].dir, 'ran');
  const touch = (i: number) => `touch ${quote(marker(i))}`;

  /** The failure text must not carry the client's private key, nor any line of it, nor where it lives. */
  function expectNoKeyMaterial(text: string): void {
    expect(text).not.toContain(privateKey.trim());
    expect(text).not.toMatch(/PRIVATE KEY/);
    for (const line of privateKey.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'))) {
      expect(text).not.toContain(line);
    }
    expect(text).not.toContain(world.sandbox.clientKeyFile);
  }

  beforeAll(async () => {
    world = await startWorld('hostkeys', 3, { names: ['web-1', 'web-2', 'web-3'] });
    worker = await startWorker(world);
    runway = await connectClient(world);
    privateKey = readFileSync(world.sandbox.clientKeyFile, 'utf8');
  });
  afterAll(async () => {
    await runway?.close();
    await worker?.stop();
    await world?.stop();
  });

  describe('a host whose key changed (web-2)', () => {
    let oldFingerprint: string;
    let newFingerprint: string;

    beforeAll(async () => {
      oldFingerprint = world.sandbox.hosts[1].fingerprint;
      await world.sandbox.rotateHostKey('web-2');
      newFingerprint = world.sandbox.hosts[1].fingerprint;
    });

    it('fails the run at once, naming the host and both fingerprints, and runs nothing there', async () => {
      expect(newFingerprint).not.toBe(oldFingerprint);
      const started = Date.now();
      const handle = await runway.start('exec', { environment: 'test', hosts: ['web-2'], command: touch(1) });
      const outcome = await runway.wait(handle);
      // Retrying cannot fix a refused key: one attempt, well within the ~20 s 20 retries would take.
      expect(Date.now() - started).toBeLessThan(20_000);

      expect(outcome.exitCode).toBe(1);
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toContain('web-2');
      expect(outcome.message).toContain('HOST KEY CHANGED');
      expect(outcome.message).toContain(newFingerprint);
      expect(outcome.message).toContain(oldFingerprint);
      expect(outcome.report?.steps[0]?.hosts['web-2']).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('HOST KEY CHANGED'),
      });
      expect(existsSync(marker(1))).toBe(false);
      expect(existsSync(join(world.sandbox.hosts[1].dir, '.runway'))).toBe(false); // not even the journal

      // One sshExec scheduled, and every activity started once (a retried activity's start records attempt > 1).
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sshExec');
      expect(scheduled).toHaveLength(1);
      const attempts = events.flatMap((e) =>
        e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
      );
      expect(new Set(attempts)).toEqual(new Set([1]));
      const failed = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes
        ?.failure;
      expect(failed?.applicationFailureInfo).toMatchObject({ type: 'HostKeyRejected', nonRetryable: true });
      expectNoKeyMaterial(outcome.message);
      expectNoKeyMaterial(JSON.stringify(outcome.report));
      expectNoKeyMaterial(historyText(history));
    });

    it('leaves the other hosts working: the same command runs on web-1', async () => {
      const handle = await runway.start('exec', { environment: 'test', hosts: ['web-1'], command: touch(0) });
      const outcome = await runway.wait(handle);
      expect(outcome).toMatchObject({ exitCode: 0, status: 'succeeded' });
      expect(existsSync(marker(0))).toBe(true);
      expect(existsSync(marker(1))).toBe(false);
    });
  });

  describe('a host missing from known_hosts (web-3), through the real exec activity', () => {
    let pool: SshPool;
    let knownHosts: string;
    let host: HostRef;

    beforeAll(() => {
      const web3 = world.sandbox.hosts[2];
      knownHosts = join(world.dir, 'known_hosts.without-web-3');
      const lines = readFileSync(world.sandbox.knownHostsFile, 'utf8').split('\n');
      const kept = lines.filter((l) => !l.startsWith(`[${web3.address}]:${web3.port} `));
      expect(kept).toHaveLength(lines.length - 1);
      writeFileSync(knownHosts, kept.join('\n'));

      const doc = parse(readFileSync(world.configFile, 'utf8')) as { ssh: { knownHosts: string } };
      doc.ssh.knownHosts = knownHosts;
      const configFile = join(world.dir, 'runway.without-web-3.yml');
      writeFileSync(configFile, stringify(doc));
      const { config } = loadConfig(configFile);
      expect(config.ssh.knownHosts).toBe(knownHosts);
      pool = new SshPool(config.ssh);
      host = {
        name: web3.name,
        address: web3.address,
        port: web3.port,
        user: world.sandbox.user,
        roles: [],
        dir: web3.dir,
        journalDir: `${web3.dir}/journal`,
      };
    });
    afterAll(() => pool?.close());

    it('rejects with a non-retryable HostKeyRejected that gives the fingerprint, and runs nothing', async () => {
      const web3 = world.sandbox.hosts[2];
      const env = new MockActivityEnvironment({ activityId: 'hostkeys-unknown' });
      const failure: unknown = await env
        .run(createExec({ pool, commandTimeoutMs: 30_000 }), { host, command: touch(2) })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      const { type, nonRetryable, message } = failure as ApplicationFailure;
      expect(type).toBe('HostKeyRejected');
      expect(nonRetryable).toBe(true);
      expect(message).toContain(`host web-3 (${web3.address}:${web3.port}) is not in ${knownHosts}`);
      expect(message).toContain(`ssh-ed25519 ${web3.fingerprint}`);
      expect(message).toContain(`ssh-keyscan -p ${web3.port} ${web3.address}`);
      expect(existsSync(marker(2))).toBe(false);
      expect(existsSync(host.journalDir)).toBe(false);
      expectNoKeyMaterial(message);
      expectNoKeyMaterial((failure as Error).stack ?? '');
    });

    it('connects once the line is added, without a new pool: a changed known_hosts is read again', async () => {
      const web3 = world.sandbox.hosts[2];
      const line = readFileSync(world.sandbox.knownHostsFile, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`[${web3.address}]:${web3.port} `))!;
      appendFileSync(knownHosts, `\n${line}\n`);
      const env = new MockActivityEnvironment({ activityId: 'hostkeys-added' });
      const exec = createExec({ pool, commandTimeoutMs: 30_000 });
      const result = (await env.run(exec, { host, command: touch(2) })) as Awaited<ReturnType<typeof exec>>;
      expect(result.exitCode).toBe(0);
      expect(existsSync(marker(2))).toBe(true);
      expect(pool.handshakes()).toEqual({ 'web-3': 1 });
    });
  });
});
