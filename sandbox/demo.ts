import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_METRICS_LISTEN, loadConfig } from '../config';
import { lockId } from '../core/names';
import { createRunwayWorker, installDevRuntime } from '../worker';
import { startEmbedded } from './dev-server';
import { ensurePackages, ensureTemporal, ROOT, TEST_NEEDS } from './bootstrap';
import { follow } from '../client/follow';
import { RunwayClient } from '../client/lib';
import { ExitCode, type Outcome } from '../client/outcome';
import { startLoad, type LoadReport } from './load';
import type { SandboxNginx } from './nginx';
import { startSandboxWorld } from './world';
import { sleep, stopDemoProcesses } from './process';
import { printOutcome } from '../client/commands/common';

const DIR = join(ROOT, '.runway', 'demo');
const ENVIRONMENT = 'demo';
const SERVICE = 'app';
/** web-1, web-2, then lb-1: the fixed addresses the README documents (outside the blocks sandboxes reserve). */
const ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const LB_PORT = 18080;
const SLOTS = { blue: 18001, green: 18002 };
const [V1, V2] = ['1.0.0', '2.0.0'];
// Progress as event lines, each printed once: redrawing in place would erase the traffic lines printed in between.
const EVENT_LINES = { isTTY: false, write: (text: string) => process.stdout.write(text) } as NodeJS.WriteStream;

/** Undoes one thing the demo started; they run newest first. */
type Cleanup = () => unknown;

/** One run of the scenario, for the summary. */
interface Run {
  title: string;
  outcome: Outcome;
  link?: string;
}

/**
 * The README's main command: the embedded dev server and a worker, hosts web-1, web-2 and lb-1 (real sshd on
 * 127.0.0.x), real nginx on lb-1 — then a blue-green deploy of the demo app 1.0.0, 2.0.0 under live traffic, and a
 * rollback, with the runs' Web UI links. Stays up (nginx, apps, Web UI) until Ctrl-C unless `--exit`.
 */
export async function demo(opts: { exit?: boolean }): Promise<number> {
  ensurePackages(TEST_NEEDS);
  ensureTemporal();
  const metrics = installDevRuntime(undefined, DEV_METRICS_LISTEN);
  if (metrics) console.log(`worker metrics: http://${metrics}/metrics`);
  const cleanups: Cleanup[] = [];
  let runway: RunwayClient | undefined;
  try {
    const { configFile, nginx } = await setUp(cleanups);
    const loaded = loadConfig(configFile);
    const server = await startEmbedded(loaded.config.temporal);
    cleanups.push(() => server?.stop());
    console.log(`Temporal dev server on ${server?.address} — Web UI ${server?.uiUrl}`);
    runway = await RunwayClient.connect({ loaded });
    await endStaleRun(runway);
    const { running } = await startWorker(configFile, cleanups);
    const scenario = play(runway, nginx, cleanups);
    scenario.catch(() => undefined); // raced below; once interrupted, how it ends no longer matters
    // Ctrl-C makes the SDK runtime stop the worker, after which a run being followed would never end.
    const code = await Promise.race([scenario, running.then(() => undefined)]);
    if (code === undefined) await interrupted(cleanups);
    if (!opts.exit) {
      console.log(`\nnginx keeps serving ${nginx.url} and the Web UI stays up. Ctrl-C stops everything.`);
      await running;
    }
    return code ?? ExitCode.Stopped;
  } finally {
    await runway?.close();
    await unwind(cleanups);
  }
}

/** Starts a worker for the demo's config; `running` ends when the worker is shut down. */
async function startWorker(configFile: string, cleanups: Cleanup[]): Promise<{ running: Promise<void> }> {
  const { worker, pool } = await createRunwayWorker({ configFile });
  const running = worker.run();
  cleanups.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    pool.close();
  });
  return { running };
}

/**
 * Ctrl-C during a run: stops everything but the client, then exits. The dev server goes away under the client's calls
 * in flight, which its gRPC layer retries from timers for up to ~20 s — and closing the connection under such a retry
 * throws from the timer.
 */
async function interrupted(cleanups: Cleanup[]): Promise<never> {
  await unwind(cleanups);
  console.error('runway: demo interrupted: everything it started is stopped');
  process.exit(ExitCode.Stopped);
}

/** Hosts web-1, web-2 and lb-1, nginx on lb-1 in front of the web hosts, both releases built, the config written. */
async function setUp(cleanups: Cleanup[]): Promise<{ configFile: string; nginx: SandboxNginx }> {
  // A fresh start each time; the runs themselves stay in .runway/temporal.db, so earlier demos remain in the Web UI.
  await stopDemoProcesses(DIR);
  rmSync(DIR, { recursive: true, force: true });
  // Registered first so it runs last: whatever a killed demo's hosts left running under DIR.
  cleanups.push(() => stopDemoProcesses(DIR));
  const world = await startSandboxWorld({
    dir: DIR,
    web: ADDRESSES.length - 1,
    addresses: ADDRESSES,
    environment: ENVIRONMENT,
    lbPort: LB_PORT,
    service: { name: SERVICE, strategy: 'blue-green', ports: SLOTS, drainWait: '1s', healthTimeout: '10s' },
    // The embedded dev server, on the repository's own database.
    extra: `temporal:\n  devServer: { dbFile: ${JSON.stringify(join(ROOT, '.runway', 'temporal.db'))} }\n`,
  });
  cleanups.push(() => world.stop());
  const { sandbox, nginx, web } = world;
  console.log(`hosts: ${sandbox.hosts.map((h) => `${h.name} ${h.address}:${h.port}`).join(', ')}`);
  const webNames = web.map((h) => h.name).join(', ');
  console.log(`nginx on lb-1: ${nginx.url} → slots blue :${SLOTS.blue}, green :${SLOTS.green} on ${webNames}`);
  await Promise.all([V1, V2].map((version) => world.build(version)));
  return { configFile: world.configFile, nginx };
}

/** A deploy left open by an interrupted demo would resume on the new hosts as soon as the worker polls: end it. */
async function endStaleRun(runway: RunwayClient): Promise<void> {
  const handle = runway.handle(lockId(ENVIRONMENT, SERVICE));
  const status = await handle.describe().then(
    (d) => d.status.name,
    () => undefined,
  );
  if (status !== 'RUNNING') return;
  console.log(`terminating ${handle.workflowId}, left running by an interrupted demo`);
  await handle.terminate('superseded by a new demo');
}

/** Deploy 1.0.0; then, under live traffic, deploy 2.0.0 and roll back. Stops at the first run that does not succeed. */
async function play(runway: RunwayClient, nginx: SandboxNginx, cleanups: Cleanup[]): Promise<number> {
  const runs = [await run(runway, `deploy ${V1} (first deploy)`, 'deploy', { version: V1 })];
  if (runs[0].outcome.exitCode !== ExitCode.Succeeded) return summarize(runs);
  const stopTraffic = startTraffic(nginx);
  cleanups.push(stopTraffic);
  runs.push(await run(runway, `deploy ${V2} under live traffic`, 'deploy', { version: V2 }, EVENT_LINES));
  if (runs[1].outcome.exitCode === ExitCode.Succeeded) {
    runs.push(await run(runway, 'roll back under live traffic', 'rollback', {}, EVENT_LINES));
  }
  await sleep(500); // lets the keep-alive probe reach the version now served
  return summarize(runs, await stopTraffic());
}

/** Starts a deploy or rollback of the demo app, shows its progress and outcome. */
async function run(
  runway: RunwayClient,
  title: string,
  runbook: 'deploy' | 'rollback',
  input: { version?: string },
  out?: NodeJS.WriteStream,
): Promise<Run> {
  console.log(`\n== ${title}`);
  const handle = await runway.start(runbook, { environment: ENVIRONMENT, service: SERVICE, actor: 'demo', ...input });
  const outcome = await follow(runway, handle, out);
  const link = runway.link(handle.workflowId, handle.firstExecutionRunId);
  printOutcome(outcome, false, link);
  return { title, outcome, link };
}

/** Load through nginx (4 loops and a keep-alive probe) with a line a second; the function returned stops it, once. */
function startTraffic(nginx: SandboxNginx): () => Promise<LoadReport> {
  const load = startLoad(nginx.url, { concurrency: 4 });
  const since = Date.now();
  const timer = setInterval(() => {
    const now = load.snapshot();
    const seconds = Math.round((Date.now() - since) / 1000);
    const serving = now.versions.at(-1) ?? '-';
    console.log(`traffic ${seconds}s: ${now.total} requests, ${now.failures} failed, serving ${serving}`);
  }, 1000);
  let stopped: Promise<LoadReport> | undefined;
  return () => {
    clearInterval(timer);
    return (stopped ??= load.stop());
  };
}

/** Prints what the traffic saw and the runs' links; the exit code is the worst run's, or 1 if a request failed. */
function summarize(runs: Run[], load?: LoadReport): number {
  console.log('\n== summary');
  if (load) {
    console.log(`requests: ${load.total}, failed: ${load.failures}, versions seen: ${load.versions.join(' → ')}`);
    for (const error of load.errors) console.error(`failed request: ${error}`);
  }
  for (const r of runs) console.log(`${r.title}: ${r.outcome.status} — ${r.link ?? 'no Web UI address configured'}`);
  console.log(`In the Web UI, find every deploy and rollback of the demo app with: RunwayService="${SERVICE}"`);
  const worst = Math.max(...runs.map((r) => r.outcome.exitCode));
  return Math.max(worst, load && load.failures > 0 ? ExitCode.Failed : ExitCode.Succeeded);
}

/** Runs the cleanups newest first; one that fails is reported and does not keep the others from running. */
async function unwind(cleanups: Cleanup[]): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    await Promise.resolve()
      .then(cleanup)
      .catch((e: unknown) => console.error(`runway: demo cleanup: ${e instanceof Error ? e.message : String(e)}`));
  }
}
