/**
 * Records the backup histories the replay test checks runbook changes against: `npm run record-histories:backup`.
 * A backup, restore test and DR drill of a seeded PostgreSQL database (each passing, the last two also failing), a
 * files set and the status report — run by the shipped runbooks on sandbox hosts (db-1, vault-1, dr-1) against a
 * cluster and an ephemeral server of their own. Re-record only on purpose.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../sandbox/postgres';
import { startTestServer } from '../../sandbox/test-server';
import { bundleRunbooks } from '../../worker';
import { startBackupWorld, STRICT_SET, type BackupWorld } from './backup-world';
import { exportPostgresEnv } from './postgres';
import { saveHistory } from './save-history';

/** The runs, in order (each drill needs the verified copy before it), and whether each must succeed. */
const RUNS: Array<{ name?: string; runbook: string; input: Record<string, unknown>; ok: boolean }> = [
  { name: 'backup-postgres', runbook: 'backup', input: { set: 'app-db', actor: 'recorder' }, ok: true },
  { name: 'backup-verify', runbook: 'backupVerify', input: { set: 'app-db' }, ok: true },
  { runbook: 'backup', input: { set: 'app-db-strict' }, ok: true },
  { name: 'backup-verify-failed', runbook: 'backupVerify', input: { set: 'app-db-strict' }, ok: false },
  { name: 'dr-drill', runbook: 'drDrill', input: { drill: 'app-db-dr' }, ok: true },
  { name: 'dr-drill-failed', runbook: 'drDrill', input: { drill: 'app-db-broken' }, ok: false },
  { name: 'backup-files', runbook: 'backup', input: { set: 'site' }, ok: true },
  { name: 'backup-status', runbook: 'backupStatus', input: { drills: 10 }, ok: true },
];

async function record(w: BackupWorld): Promise<void> {
  for (const run of RUNS) {
    const handle = await w.runway.start(run.runbook, run.input);
    const outcome = await w.runway.wait(handle);
    if ((outcome.exitCode === 0) !== run.ok) {
      throw new Error(`${run.runbook} ${JSON.stringify(run.input)}: ${outcome.status}: ${outcome.message}`);
    }
    if (run.name) console.log(`${run.name}: ${outcome.status} (${await saveHistory(run.name, handle)} events)`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'runway-record-backup-'));
  const env = await startTestServer();
  let pg: Awaited<ReturnType<typeof startPostgres>> | undefined;
  let w: BackupWorld | undefined;
  try {
    pg = await startPostgres({ dir: join(dir, 'pg') });
    // The backup world finds the server, the cluster and the worker's bundle where the jest setup leaves them.
    exportPostgresEnv(pg);
    process.env.RUNWAY_TEST_TEMPORAL = env.address;
    const bundle = join(dir, 'bundle.js');
    writeFileSync(bundle, (await bundleRunbooks()).code);
    process.env.RUNWAY_TEST_BUNDLE = bundle;
    // The world's own temp dir (hosts, config, drill log) lands in ours too, so one rm removes all, however it ended.
    process.env.TMPDIR = dir;
    w = await startBackupWorld('record-backup', {
      moreSets: STRICT_SET,
    });
    await record(w);
  } finally {
    await w?.stop();
    await pg?.stop();
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
