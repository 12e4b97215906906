import type { ChildProcess } from 'node:child_process';
import type { RunwayClient } from '../client/lib';
import { SshPool } from '../activities';
import { loadConfig } from '../config';
import { METRIC } from '../core/metrics';
import { freePort } from '../sandbox/process';
import { connectClient, hostRef, spawnWorker, startWorld, waitFor, type TestWorld } from './support/harness';
import { countsByHost } from './support/workers';

const HOSTS = ['host-1', 'host-2'];

const minus = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(HOSTS.map((h) => [h, (after[h] ?? 0) - (before[h] ?? 0)]));

/**
 * One ssh connection per host per worker for a whole run, however many steps: the worker counts every completed
 * handshake (runway_ssh_handshakes_total{host}), a 20-step run on two real sandbox hosts makes exactly one per host,
 * the next run makes none — and a connection dropped mid-run (the host's sshd stopped and started while the run waits
 * at a gate) is counted once more when it is made again, so the count can tell.
 */
describe('ssh handshakes per host per run', () => {
  let world: TestWorld;
  let worker: ChildProcess;
  let runway: RunwayClient;
  let metrics: string;

  beforeAll(async () => {
    const port = await freePort();
    metrics = `http://127.0.0.1:${port}/metrics`;
    world = await startWorld('handshakes', HOSTS.length, {
      extra: `metrics: { listen: 127.0.0.1:${port} }\n`,
      environmentExtra: ['approval: { approvers: [alice], timeout: 1h }'],
    });
    worker = await spawnWorker(world);
    runway = await connectClient(world);
  }, 60_000);
  afterAll(async () => {
    await runway?.close();
    worker?.kill('SIGKILL');
    await world?.stop();
  });

  const handshakes = () => countsByHost(metrics, METRIC.sshHandshakes);
  const steps = (count: number, from = 1) =>
    Array.from({ length: count }, (_, i) => ({ name: `step ${from + i}`, run: `echo ${from + i}`, undo: 'true' }));

  test('a 20-step run on two hosts makes one handshake per host; the next run makes none', async () => {
    expect(await handshakes()).toEqual({});
    const outcome = await runway.wait(
      await runway.start('steps', { environment: 'test', hosts: HOSTS, steps: steps(20) }),
    );
    expect(outcome.status).toBe('succeeded');
    const commands = await countsByHost(metrics, METRIC.hostCommands);
    for (const host of HOSTS) expect([host, commands[host]]).toEqual([host, expect.any(Number)]);
    for (const host of HOSTS) expect(commands[host]).toBeGreaterThanOrEqual(20);
    const first = await handshakes();
    process.stderr.write(`handshakes after a 20-step run on 2 hosts: ${JSON.stringify(first)}\n`);
    expect(first).toEqual({ 'host-1': 1, 'host-2': 1 });

    const again = await runway.wait(
      await runway.start('steps', { environment: 'test', hosts: HOSTS, steps: steps(20) }),
    );
    expect(again.status).toBe('succeeded');
    expect(minus(await handshakes(), first)).toEqual({ 'host-1': 0, 'host-2': 0 });
  }, 120_000);

  test('a connection dropped mid-run is counted when it is made again', async () => {
    const before = await handshakes();
    const handle = await runway.start('steps', {
      environment: 'test',
      hosts: HOSTS,
      steps: [...steps(5), { ...steps(1, 6)[0], approval: true }, ...steps(4, 7)],
    });
    // At the gate no command runs: stopping host-1's sshd drops the worker's connection to it and nothing else.
    await waitFor('the gate', async () => (await runway.progress(handle))?.status === 'awaiting-approval');
    await world.sandbox.stopHost('host-1');
    await world.sandbox.startHost('host-1');
    await runway.decide(handle.workflowId, 'approve', 'alice');
    expect((await runway.wait(handle)).status).toBe('succeeded');
    expect(minus(await handshakes(), before)).toEqual({ 'host-1': 1, 'host-2': 0 });
  }, 120_000);

  test('the pool itself counts its handshakes by host, outside any worker too', async () => {
    const pool = new SshPool(loadConfig(world.configFile).config.ssh);
    try {
      const host = hostRef(world, 0);
      for (let i = 0; i < 20; i++) expect((await pool.exec(host, `echo ${i}`)).stdout.toString()).toBe(`${i}\n`);
      expect(pool.handshakes()).toEqual({ 'host-1': 1 });
      await world.sandbox.stopHost('host-1');
      await world.sandbox.startHost('host-1');
      await waitFor('the next command after the drop', async () => {
        try {
          return (await pool.exec(host, 'echo back')).code === 0;
        } catch {
          return false; // the pool may meet the old connection's end before it forgets it
        }
      });
      expect(pool.handshakes()).toEqual({ 'host-1': 2 });
    } finally {
      pool.close();
    }
  }, 60_000);
});
