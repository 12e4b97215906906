import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC } from '../core/metrics';
import { startLoad } from '../sandbox/load';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { runCli, waitFor } from './support/harness';
import { rollingState, servedVersions } from './support/host-state';
import {
  activityRuns,
  claimedOnHost,
  countsByHost,
  killWorker,
  runningActivities,
  spawnWorkers,
  startsOf,
  type WorkerProcess,
} from './support/workers';

const PORT = 18141;
const WEB = 8;

/**
 * Three `runway worker` processes on one task queue share a rolling deploy; one of them — one running a host command —
 * is SIGKILLed in the middle batches. Its activities are retried on the others (each command re-attached through the
 * host's journal, never started again): the run completes, nginx answers every request, and every host started the
 * new release exactly once.
 */
describe('several workers on one task queue', () => {
  let w: DeployWorld;
  let workers: WorkerProcess[] = [];
  const web = () => w.world.sandbox.hosts.slice(0, WEB);

  beforeAll(async () => {
    w = await startDeployWorld('workers', {
      web: WEB,
      lbPort: 18197,
      noWorker: true,
      service: { strategy: 'rolling', ports: PORT, batchSize: 2, healthTimeout: '5s' },
    });
    workers = await spawnWorkers(w.world, 3);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map(killWorker));
    await w?.stop();
  });

  const deploy = async (version: string) => {
    await w.build(version);
    return w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'ci' });
  };

  it('a worker killed mid-rollout loses nothing: the others finish it, each host started once', async () => {
    expect((await w.runway.wait(await deploy('1.0.0'))).exitCode).toBe(0);

    // A worker runs the switch (link and restart) of a host of the middle batches, 2 and 3 of 4: batch 1 has started
    // the new release, so the host's command is its switch. That worker is stopped first, so it can report nothing
    // more: if the server still has the switch running on it then, the switch is lost with the worker. The middle
    // hosts start slowly (HOLD_START), so a switch runs long enough to be caught on a loaded machine.
    const held = web().slice(2, WEB - 2);
    for (const h of held) writeFileSync(join(h.dir, 'app', 'HOLD_START'), '2');
    const middle = held.map((h) => h.name);
    const load = startLoad(w.nginx.url, { concurrency: 2 });
    const handle = await deploy('1.1.0');
    const { victim, lost } = await waitFor(
      `a worker switching ${middle.join(', ')}`,
      async () => {
        if (startsOf(web().slice(0, 2), '1.1.0').includes(0)) return undefined;
        const running = (await runningActivities(handle)).find(
          (a) => a.type === 'sshExec' && middle.includes(a.host ?? ''),
        );
        const worker = running && workers.find((p) => p.pid === running.pid);
        if (!worker) return undefined;
        worker.child.kill('SIGSTOP');
        if ((await runningActivities(handle)).some((a) => a.id === running.id && a.pid === worker.pid)) {
          return { victim: worker, lost: running };
        }
        worker.child.kill('SIGCONT'); // it reported the switch just before: try the next one
        return undefined;
      },
      60_000,
    );
    const lostHost = web().find((h) => h.name === lost.host)!;
    const startedOnHost = await claimedOnHost(handle, lostHost, lost.id);
    const startedAtKill = startsOf(web(), '1.1.0').join('');
    const killedAt = Date.now();
    await killWorker(victim);
    const outcome = await w.runway.wait(handle);
    const report = await load.stop();
    const runs = await activityRuns(handle);
    const tally = workers.map(
      (p) => `${p.pid}${p === victim ? ' (killed)' : ''}: ${runs.filter((r) => r.pid === p.pid).length}`,
    );
    process.stderr.write(
      `workers: killed ${victim.pid} switching ${lost.host} (${startedOnHost ? 'running there' : 'not sent yet'}), ` +
        `starts ${startedAtKill}; the run ended ${Date.now() - killedAt} ms later; ${report.total} requests; ` +
        `activities by worker ${tally.join(', ')}\n`,
    );

    expect(outcome.status).toBe('succeeded');
    const pids = new Set(runs.map((r) => r.pid));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect([...pids].every((pid) => workers.some((p) => p.pid === pid))).toBe(true);
    // The lost switch was run again by another worker, which re-attached to the command when it had begun on the host.
    const retry = runs.find((r) => r.id === lost.id);
    expect(retry?.attempt).toBeGreaterThan(1);
    expect(retry?.pid).not.toBe(victim.pid);
    if (startedOnHost) expect(retry?.reattached).toBe(true);
    // Never twice: one start of the new release per host, and every host serves it.
    expect(startsOf(web(), '1.1.0')).toEqual(Array(WEB).fill(1));
    expect(rollingState(w).hosts.map((h) => h.version)).toEqual(Array(WEB).fill('1.1.0'));
    expect(await servedVersions(w, PORT)).toEqual(Array(WEB).fill('1.1.0'));
    expect(report.errors).toEqual([]);
    expect(report.failures).toBe(0);
    // Each surviving worker kept one connection per host it reached, through both runs and the takeover.
    let reached = 0;
    for (const survivor of workers.filter((p) => p !== victim)) {
      const handshakes = await countsByHost(survivor.metrics, METRIC.sshHandshakes);
      expect([survivor.pid, Object.values(handshakes).filter((n) => n !== 1)]).toEqual([survivor.pid, []]);
      reached += Object.keys(handshakes).length;
    }
    expect(reached).toBeGreaterThan(0);
  }, 180_000);

  it('a malformed --metrics address is refused in one line, exit 2, before the worker starts', async () => {
    const result = await runCli(['worker', '--config', w.world.configFile, '--metrics', '9464']);
    expect([result.code, result.stderr.trim().split('\n')]).toEqual([
      2,
      [expect.stringMatching(/--metrics: expected address:port, e\.g\. 127\.0\.0\.1:9464 .*got "9464"/)],
    ]);
  }, 60_000);
});
