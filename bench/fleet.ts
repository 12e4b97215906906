/**
 * Runway on fleets of real sshd hosts: an exec (`sleep 1` on every web host, batches of 10%) and a rolling deploy of
 * the light demo app (batches of 10%, real nginx in front) at 100, 300 and 1,000 hosts, run by one `runway worker`
 * process and, up to `--multi-up-to` hosts (300), by two and three on one task queue:
 * `npm run bench:fleet -- --sizes 100,300,1000 --workers 1,2,3`.
 *
 * For each run: wall time, the time any remote command or probe ran (the union of every activity's span over the run
 * and its child workflows) and their ratio, the largest history, ssh handshakes per host, each worker's peak RSS and
 * how many activities each ran. Four runs per set of worker processes: exec, exec, deploy, deploy (the first exec
 * starts with empty ssh pools). Prints a Markdown table and writes `.runway/bench/fleet-<timestamp>.json`. A
 * measurement, not a test: it checks that each deploy did the whole job (verifyDeployed), never how fast.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { RunwayClient } from '../client/lib';
import { batches } from '../core/batches';
import { METRIC } from '../core/metrics';
import { ensurePackages, ROOT, TEST_NEEDS } from '../sandbox/bootstrap';
import { freePort } from '../sandbox/process';
import { startTestServer } from '../sandbox/test-server';
import { countsByHost, peakRssMiB, spawnRunwayWorker } from '../sandbox/worker-process';
import { bundleRunbooks } from '../worker';
import { runBench, unwind, type Undo } from './cleanup';
import { runHistories, fleetTable, type FleetTrial } from './fleet-report';
import { machineFacts, writeJson } from './report';
import { verifyDeployed } from './rolling-deploy';
import { ENVIRONMENT, SERVICE, startRollingWorld, type RollingWorld } from './rolling-world';

const BATCH_SIZE = '10%';
const EXEC_COMMAND = 'sleep 1';

function options(): { sizes: number[]; workers: number[]; multiUpTo: number } {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100,300,1000' },
      workers: { type: 'string', default: '1,2,3' },
      'multi-up-to': { type: 'string', default: '300' },
    },
  });
  const list = (flag: string, text: string, max: number) => {
    const xs = text.split(',').map(Number);
    if (xs.some((n) => !Number.isInteger(n) || n < 1 || n > max)) throw new Error(`--${flag}: expected 1..${max} each`);
    return xs;
  };
  const multiUpTo = Number(values['multi-up-to']);
  if (!Number.isInteger(multiUpTo)) throw new Error('--multi-up-to: expected a number of hosts');
  return { sizes: list('sizes', values.sizes, 1000), workers: list('workers', values.workers, 4), multiUpTo };
}

interface WorkerProc {
  child: ChildProcess;
  metrics: string;
}

/** `count` worker processes on the world's config, each serving /metrics; their cleanup goes onto `undo`. */
async function spawnWorkers(world: RollingWorld, count: number, bundle: string, undo: Undo): Promise<WorkerProc[]> {
  const procs: WorkerProc[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const child = await spawnRunwayWorker(world.configFile, ['--metrics', `127.0.0.1:${port}`], {
      RUNWAY_WORKFLOW_BUNDLE: bundle,
    });
    undo.push(() => {
      const exited = new Promise((r) => child.once('exit', r));
      if (child.kill('SIGTERM')) return exited;
    });
    procs.push({ child, metrics: `http://127.0.0.1:${port}/metrics` });
  }
  return procs;
}

async function handshakes(procs: WorkerProc[]): Promise<number> {
  const counts = await Promise.all(procs.map((p) => countsByHost(p.metrics, METRIC.sshHandshakes)));
  return counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
}

/** Runs one exec or deploy and measures it. */
async function trial(
  world: RollingWorld,
  runway: RunwayClient,
  procs: WorkerProc[],
  kind: FleetTrial['kind'],
  run: number,
  version: string,
): Promise<FleetTrial> {
  const before = await handshakes(procs);
  const start = performance.now();
  let handle: WorkflowHandleWithFirstExecutionRunId;
  if (kind === 'exec') {
    const input = { environment: ENVIRONMENT, role: 'web', command: EXEC_COMMAND, batchSize: BATCH_SIZE };
    handle = await runway.start('exec', input);
  } else {
    await world.build(version);
    handle = await runway.start('deploy', { environment: ENVIRONMENT, service: SERVICE, version, actor: 'bench' });
  }
  const outcome = await runway.wait(handle);
  const wallSeconds = (performance.now() - start) / 1000;
  if (outcome.status !== 'succeeded') throw new Error(`${kind} on ${world.web.length} hosts: ${outcome.message}`);
  if (kind === 'rolling') await verifyDeployed(world, version, 'runway');
  const made = (await handshakes(procs)) - before;
  const run0 = runway.handle(handle.workflowId, handle.firstExecutionRunId);
  const histories = await runHistories(runway.client.workflow, run0);
  const reached = world.web.length + (kind === 'rolling' ? 1 : 0);
  const { byWorker, ...rest } = histories;
  const trialResult: FleetTrial = {
    kind,
    hosts: world.web.length,
    workers: procs.length,
    run,
    wallSeconds,
    ratio: wallSeconds / histories.busySeconds,
    handshakesPerHost: made / reached,
    workerRssMiB: procs.map((p) => peakRssMiB(p.child.pid!) ?? NaN),
    activitiesByWorker: procs.map((p) =>
      Object.entries(byWorker)
        .filter(([identity]) => identity.startsWith(`${p.child.pid}@`))
        .reduce((n, [, count]) => n + count, 0),
    ),
    ...rest,
  };
  console.error(
    `${kind} on ${trialResult.hosts} hosts, ${procs.length} worker(s), run ${run}: ${wallSeconds.toFixed(1)} s ` +
      `(busy ${rest.busySeconds.toFixed(1)} s), largest history ${rest.largestEvents}, ${made} handshakes`,
  );
  return trialResult;
}

async function main(undo: Undo): Promise<void> {
  const { sizes, workers, multiUpTo } = options();
  const loadavgAtStart = loadavg();
  ensurePackages([...TEST_NEEDS, { command: '/usr/sbin/nginx', pkg: 'nginx' }]);
  const env = await startTestServer();
  undo.push(() => env.teardown());
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-fleet-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'bundle.js');
  writeFileSync(bundle, (await bundleRunbooks()).code);
  const trials: FleetTrial[] = [];
  const sets: Array<{ hosts: number; workers: number; runs: number; mostHandshakesPerHostAndWorker: number }> = [];
  let deploys = 0;
  for (const size of sizes) {
    const mark = undo.length;
    const batch = batches(Array.from({ length: size }), BATCH_SIZE)[0].length;
    const world = await startRollingWorld(
      {
        dir: join(dir, `n${size}`),
        size,
        batchSize: BATCH_SIZE,
        healthTimeout: '30s',
        temporalAddress: env.address,
        light: true,
        // A whole batch at once: the critical path is one command per batch.
        concurrency: Math.max(10, batch),
      },
      undo,
    );
    for (const count of workers.filter((n) => n === 1 || size <= multiUpTo)) {
      const procsMark = undo.length;
      const procs = await spawnWorkers(world, count, bundle, undo);
      const runway = await RunwayClient.connect({ configFile: world.configFile });
      try {
        const kinds: FleetTrial['kind'][] = ['exec', 'exec', 'rolling', 'rolling'];
        for (const [i, kind] of kinds.entries()) {
          trials.push(await trial(world, runway, procs, kind, i + 1, `1.${deploys++}.0`));
        }
        // One connection per host per worker for all four runs: the most handshakes any worker made with one host.
        const counts = await Promise.all(procs.map((p) => countsByHost(p.metrics, METRIC.sshHandshakes)));
        const most = Math.max(...counts.flatMap((c) => Object.values(c)));
        sets.push({ hosts: size, workers: count, runs: kinds.length, mostHandshakesPerHostAndWorker: most });
      } finally {
        await runway.close();
      }
      await unwind(undo, procsMark);
    }
    await unwind(undo, mark);
  }
  console.log(`\n## Fleets of real sshd hosts, batches of ${BATCH_SIZE}\n`);
  console.log(fleetTable(trials));
  for (const set of sets) {
    console.log(
      `- ${set.hosts} hosts, ${set.workers} worker(s): at most ${set.mostHandshakesPerHostAndWorker} handshake(s) ` +
        `between one worker and one host over its ${set.runs} runs`,
    );
  }
  const machine = { ...machineFacts(), loadavgAtStart };
  const payload = {
    date: new Date().toISOString(),
    batchSize: BATCH_SIZE,
    execCommand: EXEC_COMMAND,
    machine,
    trials,
    sets,
  };
  console.log(`JSON: ${writeJson(join(ROOT, '.runway', 'bench'), 'fleet', payload)}`);
}

runBench(main);
