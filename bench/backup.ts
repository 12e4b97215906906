/**
 * Runway's `backup` and `backupVerify` of a pgbench database (scale 7 ≈ 100 MB) beside the bare commands they wrap —
 * `pg_dump -Fc`, and `createdb` + `pg_restore` + the same counts and query + `dropdb` — run on the same sandbox host
 * over ssh as the same login user, timed by this script: `npm run bench:backup -- --scale 7 --rounds 3`. Prints
 * Markdown tables and writes `.runway/bench/backup-<timestamp>.json`. A measurement, not a test: it checks that every
 * run did the whole job (Runway's runs succeed, the bare restore's counts and query match), never how fast.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RunwayClient } from '../client/lib';
import { ensurePackages, ROOT, TEST_NEEDS } from '../sandbox/bootstrap';
import { startTestServer } from '../sandbox/test-server';
import { createRunwayWorker, installRuntime } from '../worker';
import { bareBackup, bareDumpBytes, bareVerify, type BareSide, type BareTimed } from './backup-bare';
import { markdownTables, summarize, type Op, type Side, type Timed } from './backup-report';
import { runwayRun } from './backup-runway';
import { DATABASE, QUERY, SET, startBackupBenchWorld, type BackupBenchWorld } from './backup-world';
import { runBench, type Undo } from './cleanup';
import { machineFacts, writeJson } from './report';
import { closeMasters } from './ssh';

const OPS: Op[] = ['backup', 'verify'];
const MB = 1024 * 1024;

function options(): { scale: number; rounds: number } {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '7' }, rounds: { type: 'string', default: '3' } },
  });
  const int = (name: 'scale' | 'rounds', max: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`--${name}: expected an integer 1..${max}, got ${values[name]}`);
    return n;
  };
  return { scale: int('scale', 100), rounds: int('rounds', 20) };
}

/** The bare side's settings: its own dump file and scratch database on db-1, the same checks as the set's. */
function bareSide(world: BackupBenchWorld, controlPath: string): BareSide {
  const { sandbox, host, pg, rows } = world;
  const file = join(host.dir, 'bare', `${DATABASE}.dump`);
  const pgTarget = { host: pg.socketDir, port: pg.port };
  const expect = String(rows.pgbench_accounts);
  return {
    sandbox,
    host,
    controlPath,
    pg: pgTarget,
    database: DATABASE,
    file,
    scratch: 'bare_scratch',
    rows,
    query: QUERY,
    expect,
  };
}

/** A warm-up of each, then `rounds` rounds; within a round the side that goes first alternates. */
async function measure(run: Record<Side, Record<Op, () => Promise<BareTimed>>>, rounds: number): Promise<Timed[]> {
  for (const op of OPS) for (const side of ['bare', 'runway'] as const) await run[side][op]();
  const timed: Timed[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Side[] = round % 2 ? ['bare', 'runway'] : ['runway', 'bare'];
    for (const op of OPS) {
      for (const side of order) {
        const t = await run[side][op]();
        timed.push({ op, side, round, seconds: t.seconds, phases: t.phases });
        console.error(`round ${round}/${rounds}: ${op} by ${side}: ${t.seconds.toFixed(2)} s`);
      }
    }
  }
  return timed;
}

async function main(undo: Undo): Promise<void> {
  const { scale, rounds } = options();
  const loadavgAtStart = loadavg();
  ensurePackages(TEST_NEEDS);
  installRuntime();
  const env = await startTestServer();
  undo.push(() => env.teardown());
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-backup-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  const world = await startBackupBenchWorld({ dir, scale, temporalAddress: env.address }, undo);
  console.error(
    `pgbench -i -s ${scale}: ${(world.dbBytes / MB).toFixed(1)} MB in ${world.generateSeconds.toFixed(1)} s`,
  );
  const controlPath = join(dir, 'mux-db-1');
  undo.push(() => closeMasters(world.sandbox, [world.host], () => controlPath));
  const bare = bareSide(world, controlPath);
  const { worker, pool } = await createRunwayWorker({ configFile: world.configFile, connection: env.nativeConnection });
  undo.push(() => pool.close());

  let copyBytes = 0;
  const timed = await worker.runUntil(async () => {
    const runway = await RunwayClient.connect({ configFile: world.configFile });
    const backup = async () => {
      const t = await runwayRun(runway, 'backup', SET);
      copyBytes = Number(t.result?.bytes);
      return t;
    };
    try {
      const runs = {
        bare: { backup: () => bareBackup(bare), verify: () => bareVerify(bare) },
        runway: { backup, verify: () => runwayRun(runway, 'backupVerify', SET) },
      };
      return await measure(runs, rounds);
    } finally {
      await runway.close();
    }
  });
  const dumpBytes = await bareDumpBytes(bare);

  const results = summarize(timed);
  const size = (b: number) => `${(b / MB).toFixed(1)} MB`;
  console.log(`\n## Backup and verify of a pgbench -s ${scale} database, median of ${rounds} round(s)\n`);
  console.log(
    `Database ${size(world.dbBytes)} (pg_database_size); dump ${size(dumpBytes)} bare, ${size(copyBytes)} Runway's copy.\n`,
  );
  console.log(markdownTables(results));
  console.log(
    `Both sides run on db-1 as ${world.sandbox.user}, against the same cluster: the bare scripts over one multiplexed ` +
      "OpenSSH connection (opened in the warm-up), Runway's commands over its pooled ssh2 connection; Runway's time " +
      "is start() to the end of wait(), planning included. Phases are the host's clock for bare, the workflow's " +
      'step start/end for Runway.',
  );
  const machine = { ...machineFacts(), loadavgAtStart };
  const payload = { date: new Date().toISOString(), scale, rounds, dbBytes: world.dbBytes, dumpBytes, copyBytes };
  const file = writeJson(join(ROOT, '.runway', 'bench'), 'backup', { ...payload, machine, results, timed });
  console.log(`JSON: ${file}`);
}

runBench(main);
