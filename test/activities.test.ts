import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { SshPool } from '../activities';
import { httpProbe } from '../activities/http-probe';
import { createExec } from '../activities/ssh/exec';
import { TAIL_BYTES } from '../activities/ssh/journal';
import { createUpload } from '../activities/ssh/upload';
import type { RunwayClient } from '../client/lib';
import { loadConfig } from '../config';
import type { HostRef } from '../core/plan';
import { connectClient, hostRef, runActivity, startWorker, startWorld, type TestWorld } from './support/harness';

/** The activities on their own, against real sshd hosts and a real HTTP server. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('activities', () => {
  let world: TestWorld;
  let pool: SshPool;
  let host: HostRef;
  let n = 0;

  beforeAll(async () => {
    world = await startWorld('acts', 1, { names: ['web-1'] });
    pool = new SshPool(loadConfig(world.configFile).config.ssh);
    host = hostRef(world, 0);
  });
  afterAll(async () => {
    pool?.close();
    await world?.stop();
  });

  describe('ssh exec', () => {
    const exec = () => createExec({ pool, commandTimeoutMs: 30_000 });

    it('keeps the last 16 KB of each stream in the result and reports the full sizes', async () => {
      const result = await runActivity(exec(), {
        host,
        command: "head -c 100000 /dev/zero | tr '\\0' a; printf end; echo err >&2",
      });
      expect(result.stdoutBytes).toBe(100_003);
      expect(result.stdout).toHaveLength(TAIL_BYTES);
      expect(result.stdout.endsWith('aend')).toBe(true);
      expect(result.stderr).toBe('err\n');
    });

    it('returns a non-zero exit as a result (the workflow decides), and kills a command past its timeout', async () => {
      expect((await runActivity(exec(), { host, command: 'exit 3' })).exitCode).toBe(3);
      const started = Date.now();
      const failure = await runActivity(exec(), {
        host,
        command: `echo $$ > ${host.journalDir}/../slow.pid; exec sleep 30`,
        timeoutMs: 1_000,
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe('CommandTimedOut');
      expect((failure as ApplicationFailure).nonRetryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(10_000);
      const pid = Number(readFileSync(join(world.sandbox.hosts[0].dir, 'slow.pid'), 'utf8'));
      expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')).toBe(false);
    });

    it('a host that is down is a retryable transport error naming the host', async () => {
      await world.sandbox.stopHost('web-1');
      try {
        const failure = await runActivity(exec(), { host, command: 'true' }).catch((e: unknown) => e);
        expect(failure).not.toBeInstanceOf(ApplicationFailure);
        expect((failure as Error).message).toMatch(
          new RegExp(`^ssh web-1 \\(${escape(host.address)}:2222\\): ECONNREFUSED`),
        );
      } finally {
        await world.sandbox.startHost('web-1');
      }
    });
  });

  describe('sftp upload', () => {
    const upload = () => createUpload(pool);
    const local = () => {
      const file = join(world.dir, `artifact-${++n}.bin`);
      writeFileSync(file, `release ${n} `.repeat(50_000));
      return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
    };

    it('lands the whole file (sha256 checked on the host), and a second upload changes nothing', async () => {
      const { file, sha256 } = local();
      const remotePath = join(world.sandbox.hosts[0].dir, 'release.bin');
      const first = await runActivity(upload(), { host, localPath: file, remotePath, mode: 0o640 });
      expect(first).toMatchObject({ sha256, unchanged: false });
      expect(createHash('sha256').update(readFileSync(remotePath)).digest('hex')).toBe(sha256);
      const second = await runActivity(upload(), { host, localPath: file, remotePath });
      expect(second.unchanged).toBe(true);
    });

    it('refuses an artifact whose sha256 is not the expected one, leaving the host as it was', async () => {
      const { file } = local();
      const remotePath = join(world.sandbox.hosts[0].dir, 'other.bin');
      const failure = await runActivity(upload(), { host, localPath: file, remotePath, sha256: 'f'.repeat(64) }).catch(
        (e: unknown) => e,
      );
      expect((failure as ApplicationFailure).type).toBe('ChecksumMismatch');
      expect(existsSync(remotePath)).toBe(false);
    });

    it('refuses a missing local file clearly', async () => {
      const failure = await runActivity(upload(), {
        host,
        localPath: '/nonexistent/artifact.tgz',
        remotePath: '/tmp/x',
      }).catch((e: unknown) => e);
      expect((failure as ApplicationFailure).message).toBe(
        'upload to web-1: /nonexistent/artifact.tgz does not exist on the worker',
      );
    });
  });

  describe('http probe', () => {
    let server: Server;
    let hits = 0;
    let url: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits++;
        if (req.url === '/flaky' && hits < 3) return void res.writeHead(503).end('warming up');
        res.writeHead(200).end(req.url === '/flaky' ? 'ok version=2' : 'ok version=1');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('retries until the answer is as expected', async () => {
      hits = 0;
      const result = await runActivity(httpProbe, {
        url: `${url}/flaky`,
        expectBody: 'version=2',
        deadlineMs: 10_000,
        intervalMs: 100,
      });
      expect(result).toMatchObject({ status: 200, attempts: 3 });
    });

    it('fails, not retryable, at the deadline, naming the last answer', async () => {
      const failure = await runActivity(httpProbe, {
        url: `${url}/other`,
        expectBody: 'version=2',
        deadlineMs: 700,
        intervalMs: 100,
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).nonRetryable).toBe(true);
      expect((failure as ApplicationFailure).message).toMatch(
        /did not answer 200 within 700 ms .*body lacks "version=2"/,
      );
    });
  });

  describe('in a workflow', () => {
    let worker: Awaited<ReturnType<typeof startWorker>>;
    let runway: RunwayClient;
    beforeAll(async () => {
      worker = await startWorker(world);
      runway = await connectClient(world);
    });
    afterAll(async () => {
      await runway?.close();
      await worker?.stop();
    });

    it('heartbeats keep a command longer than the heartbeat timeout (3 s) on its first attempt', async () => {
      const handle = await runway.start('exec', {
        environment: 'test',
        hosts: ['web-1'],
        command: 'sleep 7; echo slept',
      });
      const outcome = await runway.wait(handle);
      expect(outcome.exitCode).toBe(0);
      const history = await handle.fetchHistory();
      const attempts = history
        .events!.filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes!.attempt);
      expect(attempts.every((a) => a === 1)).toBe(true);
      expect(outcome.report?.steps[0].hosts['web-1']).toMatchObject({ stdoutTail: 'slept\n' });
    });

    it('a host that comes back while its command is being retried: the run completes and the command ran once', async () => {
      await world.sandbox.stopHost('web-1');
      const handle = await runway.start('exec', {
        environment: 'test',
        hosts: ['web-1'],
        command: 'echo x >> "$RUNWAY_HOST_DIR/back"',
      });
      await new Promise((r) => setTimeout(r, 1_500));
      await world.sandbox.startHost('web-1');
      const outcome = await runway.wait(handle);
      expect(outcome.exitCode).toBe(0);
      expect(readFileSync(join(world.sandbox.hosts[0].dir, 'back'), 'utf8')).toBe('x\n');
    });
  });
});
