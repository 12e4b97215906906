import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Outcome } from '../client/outcome';
import { startBackupWorld, type BackupWorld } from './support/backup-world';
import { CrashRig, prng, SEED, stepAt } from './support/crash';
import { waitFor } from './support/harness';

const TRIALS = 5;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Crashes mid-verify and mid-drill: the worker process is SIGKILLed at a random moment of 5 restore tests and 5 DR
 * drills, and a new one finishes each run. Every run completes (or fails clean); no scratch database, DR database, DR
 * app or brought file is left; every copy (on db-1 and vault-1) is byte for byte what it was; each drill is logged once.
 */
describe('crash during backup verify and DR drill', () => {
  let w: BackupWorld;
  let rig: CrashRig;
  const random = prng(SEED);

  beforeAll(async () => {
    w = await startBackupWorld('bcrash', { noWorker: true });
    rig = new CrashRig(w.world, w.runway);
    await rig.start();
  });
  afterAll(async () => {
    await rig?.kill();
    await w?.stop();
  });

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

  /** Runs a runbook with the live worker; its outcome and how long it took. */
  async function timed(runbook: string, input: Record<string, unknown>): Promise<[Outcome, number]> {
    const started = Date.now();
    const outcome = await rig.outcomeOf(await w.runway.start(runbook, input));
    return [outcome, Date.now() - started];
  }

  async function crashTrials(label: string, runbook: string, input: Record<string, unknown>, span: number) {
    const runs: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const before = copies();
      const delay = Math.floor(random() * span);
      await rig.start();
      // Timed from the start request, not from its return (once planned), so a kill can land in planning too.
      const workflowId = `${runbook}:crash-${trial}-${SEED}`;
      const started = Date.now();
      const starting = w.runway.start(runbook, input, { workflowId });
      starting.catch(() => undefined);
      await new Promise((r) => setTimeout(r, delay));
      const killedAt = Date.now();
      await rig.crash(workflowId);
      const handle = await starting;
      const outcome = await rig.outcomeOf(handle);
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
