import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { WorkflowHandleWithFirstExecutionRunId as RunHandle } from '@temporalio/client';
import type { Outcome } from '../client/outcome';
import type { RunReport } from '../core/progress';
import { startBackupWorld, type BackupWorld } from './support/backup-world';
import { spawnWorker, waitFor } from './support/harness';

const TRIALS = 5;
const OUTCOME_TIMEOUT = 60_000;
const GRPC_NOT_FOUND = 5;
const SEED = Number(process.env.RUNWAY_CRASH_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a seeded PRNG, so a failing trial's kill delays can be replayed with RUNWAY_CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Crashes mid-verify and mid-drill: the worker process is SIGKILLed at a random moment of 5 restore tests and 5 DR
 * drills, and a new one finishes each run. Every run completes (or fails clean); no scratch database, DR database, DR
 * app or brought file is left; every copy (on db-1 and vault-1) is byte for byte what it was; each drill is logged once.
 */
describe('crash during backup verify and DR drill', () => {
  let w: BackupWorld;
  let worker: ChildProcess | undefined;
  const random = prng(SEED);

  beforeAll(async () => {
    w = await startBackupWorld('bcrash', { noWorker: true });
    worker = await spawnWorker(w.world);
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await w?.stop();
  });

  async function killWorker(): Promise<void> {
    const child = worker!;
    worker = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  const host = (name: string) => w.world.sandbox.hosts.find((h) => h.name === name)!;
  const setDirs = () => ['db-1', 'vault-1'].map((h) => ({ host: h, dir: join(host(h).dir, 'backups', 'app-db') }));
  const drillDir = () => join(host('dr-1').dir, '.runway', 'drills', 'app-db-dr');
  const drillLog = () => {
    const file = join(w.world.dir, '.runway', 'drills.jsonl');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  };
  const appPort = () => Number(/app: \{ start: .*, port: (\d+) \}/.exec(readFileSync(w.world.configFile, 'utf8'))![1]);

  /** Every entry of the set's dirs: manifests by id, file and recorded sha256; anything else by its content's sha256. */
  function copies(): string[] {
    const entries: string[] = [];
    for (const { host: h, dir } of setDirs()) {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (name.endsWith('.manifest.json')) {
          const m = JSON.parse(readFileSync(path, 'utf8'));
          expect(sha256(join(dir, m.file))).toBe(m.sha256);
          entries.push(`${h} manifest ${m.id} ${m.file} ${m.sha256}`);
        } else {
          entries.push(`${h} ${name} ${statSync(path).isDirectory() ? 'dir' : sha256(path)}`);
        }
      }
    }
    return entries;
  }

  /** Resolves when nothing listens on the DR app's port (the drill's app is gone). */
  const refused = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: host('dr-1').address, port: appPort() });
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });

  /**
   * Sends the run's next workflow task to the normal queue: the dead worker's sticky queue would hold it for the SDK's
   * 10 s schedule-to-start timeout first. Production rides that out; 10 trials need not wait 100 s for it.
   */
  async function unstick(workflowId: string): Promise<void> {
    const { client } = w.runway;
    await client.workflowService
      .resetStickyTaskQueue({
        namespace: client.options.namespace,
        execution: { workflowId },
      })
      .catch((err: { code?: number }) => {
        if (err.code !== GRPC_NOT_FOUND) throw err; // not started yet (so not sticky), or already ended
      });
  }

  async function outcomeOf(handle: RunHandle): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no outcome within ${OUTCOME_TIMEOUT} ms`)), OUTCOME_TIMEOUT);
    });
    try {
      return await Promise.race([w.runway.wait(handle), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a runbook with the live worker; its outcome and how long it took. */
  async function timed(runbook: string, input: Record<string, unknown>): Promise<[Outcome, number]> {
    const started = Date.now();
    const outcome = await outcomeOf(await w.runway.start(runbook, input));
    return [outcome, Date.now() - started];
  }

  /** The step that was running at time `at` (and whether its command re-attached), for the trial's line. */
  function stepAt(report: RunReport | undefined, at: number): string {
    const steps = report?.steps ?? [];
    const step = steps.find((s) => at >= Date.parse(s.startedAt) && (!s.endedAt || at <= Date.parse(s.endedAt)));
    if (step) return `"${step.name}"${Object.values(step.hosts).some((h) => h.reattached) ? ' (re-attached)' : ''}`;
    if (!steps.length || at < Date.parse(steps[0].startedAt)) return 'planning';
    const last = steps[steps.length - 1].endedAt;
    return last && at > Date.parse(last) ? 'after the last step' : 'between steps';
  }

  async function crashTrials(label: string, runbook: string, input: Record<string, unknown>, span: number) {
    const runs: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const before = copies();
      const delay = Math.floor(random() * span);
      worker ??= await spawnWorker(w.world);
      // Timed from the start request, not from its return (once planned), so a kill can land in planning too.
      const workflowId = `${runbook}:crash-${trial}-${SEED}`;
      const started = Date.now();
      const starting = w.runway.start(runbook, input, { workflowId });
      starting.catch(() => undefined);
      await new Promise((r) => setTimeout(r, delay));
      const killedAt = Date.now();
      await killWorker();
      await unstick(workflowId);
      worker = await spawnWorker(w.world);
      const handle = await starting;
      const outcome = await outcomeOf(handle);
      runs.push(handle.firstExecutionRunId);
      process.stderr.write(
        `${label} trial ${trial} (seed ${SEED}): killed at ${killedAt - started} ms in ` +
          `${stepAt(outcome.report, killedAt)}; ${outcome.status} after ${Date.now() - started} ms` +
          `${outcome.exitCode ? `: ${outcome.message}` : ''}\n`,
      );
      expect(['succeeded', 'failed']).toContain(outcome.status);
      expect((await w.pg.databases()).filter((d) => d.startsWith('runway_verify_') || d === `${w.db}_dr`)).toEqual([]);
      expect(await waitFor('the DR app to be gone', refused, 5_000)).toBe(true);
      expect(existsSync(drillDir()) ? readdirSync(drillDir()) : []).toEqual([]);
      expect(copies()).toEqual(before);
    }
    return runs;
  }

  it('every run completes or cleans up; no scratch database or DR instance is left; no copy is lost', async () => {
    process.stderr.write(`backup crash seed ${SEED} (replay with RUNWAY_CRASH_SEED=${SEED})\n`);
    const [taken] = await timed('backup', { set: 'app-db', actor: 'crash' });
    expect(taken.exitCode).toBe(0);
    const [verified, verifySpan] = await timed('backupVerify', { set: 'app-db' });
    expect(verified.exitCode).toBe(0);
    const [drilled, drillSpan] = await timed('drDrill', { drill: 'app-db-dr' });
    expect(drilled.exitCode).toBe(0);
    process.stderr.write(`uninterrupted: verify ${verifySpan} ms, drill ${drillSpan} ms\n`);

    await crashTrials('verify', 'backupVerify', { set: 'app-db' }, verifySpan);
    const logged = drillLog().length;
    const drills = await crashTrials('drill', 'drDrill', { drill: 'app-db-dr' }, drillSpan);
    const lines = drillLog()
      .slice(logged)
      .map((l) => JSON.parse(l).runId);
    expect(lines.sort()).toEqual([...drills].sort());
  }, 600_000);
});
