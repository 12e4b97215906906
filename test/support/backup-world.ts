import { mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunwayClient } from '../../client/lib';
import { ExitCode, type Outcome } from '../../core/outcome';
import { InputError } from '../../config';
import { writeDrillApp } from '../../sandbox/drill-app';
import type { SandboxPostgres } from '../../sandbox/postgres';
import { connectClient, startWorker, startWorld, type TestWorld } from './harness';
import { testPostgres } from './postgres';

/** A set of the world's database whose verification query expects a wrong answer: its restore test always fails. */
export const STRICT_SET = [
  '  app-db-strict:',
  '    kind: postgres',
  '    environment: test',
  '    host: db-1',
  '    database: DB',
  '    dir: backups/strict',
  "    verify: { queries: [{ name: owners, sql: 'select count(distinct owner) from accounts', expect: '7' }] }",
];

/** Rows the seeded database starts with, and the sum its verification query expects. */
export const SEED = { accounts: 500, orders: 1200, balanceSum: (500 * 501) / 2 };

/**
 * Three sshd hosts — db-1 (the data and the copies), vault-1 (the off-host copy), dr-1 (the DR target) — the jest
 * run's PostgreSQL cluster with a seeded database of this world's own, a `files` tree on db-1, and a runway.yml with
 * a postgres set, a files set and a drill. `extra` is appended YAML (more sets or drills).
 */
export interface BackupWorld {
  world: TestWorld;
  pg: SandboxPostgres;
  /** The seeded database; its DR copy is `<db>_dr`. */
  db: string;
  runway: RunwayClient;
  worker?: Awaited<ReturnType<typeof startWorker>>;
  /** db-1's base dir, where the copies and the files tree live. */
  dbHostDir: string;
  /** The ports the drills' apps listen on: app-db-dr's, app-db-broken's. */
  appPorts: [number, number];
  /** Runs a runbook to its end: the report, and the exit code the CLI would give. */
  run(runbook: string, input: Record<string, unknown>): Promise<Outcome>;
  stop(): Promise<void>;
}

export interface BackupWorldOptions {
  /** Set YAML lines added under backups.app-db (e.g. `encryption: { key: { env: K } }`), two-space indented. */
  appDb?: string[];
  /** YAML appended at the end of the config. */
  extra?: string;
  /** More sets: YAML lines under `backups:` (each starting with two spaces); a line `database: DB` names the world's database and its connection, `connection: PG` the cluster. */
  moreSets?: string[];
  /** Drill objectives (default rto 5m, rpo 1h). */
  objectives?: string;
  noWorker?: boolean;
}

export async function startBackupWorld(name: string, o: BackupWorldOptions = {}): Promise<BackupWorld> {
  const pg = testPostgres();
  const db = `${name.replace(/[^a-z0-9]/g, '')}_${Math.random().toString(36).slice(2, 8)}`;
  await pg.createDatabase(db);
  await pg.psql(
    [
      'create table accounts (id int primary key, owner text not null, balance int not null);',
      `insert into accounts select i, 'owner ' || i, i from generate_series(1, ${SEED.accounts}) i;`,
      'create schema shop;',
      'create table shop.orders (id serial primary key, account int references accounts, total numeric(10,2));',
      `insert into shop.orders (account, total) select 1 + i % ${SEED.accounts}, i * 1.5 from generate_series(1, ${SEED.orders}) i;`,
    ].join('\n'),
    db,
  );
  const appDir = join(`/tmp`, `runway-drillapp-${db}`);
  mkdirSync(appDir, { recursive: true });
  chmodSync(appDir, 0o755);
  const pgEnv = { PGHOST: pg.socketDir, PGPORT: String(pg.port) };
  const app = writeDrillApp(appDir, pgEnv, 'accounts');
  const broken = writeDrillApp(appDir, pgEnv, 'accounts', true);
  const connection = `{ host: ${JSON.stringify(pg.socketDir)}, port: ${pg.port} }`;
  const appPort = 20_000 + Math.floor(Math.random() * 20_000);
  const yaml = [
    'backups:',
    '  app-db:',
    '    kind: postgres',
    '    environment: test',
    '    host: db-1',
    `    database: ${db}`,
    `    connection: ${connection}`,
    '    dir: backups/app-db',
    '    keep: 3',
    '    copyTo: { host: vault-1 }',
    '    verify:',
    '      tables: [accounts, shop.orders]',
    '      queries:',
    `        - { name: balance total, sql: 'select sum(balance) from accounts', expect: '${SEED.balanceSum}' }`,
    ...(o.appDb ?? []).map((l) => `    ${l}`),
    '  site:',
    '    kind: files',
    '    environment: test',
    '    role: db',
    '    paths: [site]',
    "    exclude: ['*.log']",
    '    dir: backups/site',
    '    keep: 2',
    ...(o.moreSets ?? []).flatMap((l) =>
      l.trim() === 'database: DB'
        ? [`    database: ${db}`, `    connection: ${connection}`]
        : [l.replace(/connection: PG$/, `connection: ${connection}`)],
    ),
    'drills:',
    '  app-db-dr:',
    '    backup: app-db',
    `    target: { host: dr-1, database: ${db}_dr }`,
    `    app: { start: ${JSON.stringify(app.start)}, stop: ${JSON.stringify(app.stop)}, port: ${appPort} }`,
    "    smoke: [{ http: { path: /health, expectBody: 'ok' } }]",
    '    healthTimeout: 8s',
    `    objectives: ${o.objectives ?? '{ rto: 5m, rpo: 1h }'}`,
    '  app-db-broken:',
    '    backup: app-db',
    `    target: { host: dr-1, database: ${db}_dr }`,
    `    app: { start: ${JSON.stringify(broken.start)}, stop: ${JSON.stringify(broken.stop)}, port: ${appPort + 1} }`,
    "    smoke: [{ http: { path: /health, expectBody: 'ok' } }]",
    '    healthTimeout: 3s',
    '  site-dr:',
    '    backup: site',
    '    target: { host: dr-1 }',
    "    smoke: [{ command: 'test -f {{dir}}/site/index.html' }]",
    '',
  ].join('\n');
  const world = await startWorld(name, 3, {
    names: ['db-1', 'vault-1', 'dr-1'],
    roles: { 'db-1': ['db'], 'vault-1': ['vault'], 'dr-1': ['dr'] },
    extra: yaml + (o.extra ?? ''),
  });
  const dbHostDir = world.sandbox.hosts[0].dir;
  mkdirSync(join(dbHostDir, 'site', 'conf'), { recursive: true });
  writeFileSync(join(dbHostDir, 'site', 'index.html'), '<h1>runway</h1>\n');
  writeFileSync(join(dbHostDir, 'site', 'conf', 'app.conf'), 'listen 8080\n');
  writeFileSync(join(dbHostDir, 'site', 'debug.log'), 'not backed up\n');
  let worker: BackupWorld['worker'];
  let runway: RunwayClient | undefined;
  const stop = async () => {
    await runway?.close();
    await worker?.stop();
    await world.stop();
    await pg.dropDatabase(db).catch(() => undefined);
    await pg.dropDatabase(`${db}_dr`).catch(() => undefined);
    rmSync(appDir, { recursive: true, force: true });
  };
  try {
    worker = o.noWorker ? undefined : await startWorker(world);
    runway = await connectClient(world);
  } catch (e) {
    await stop();
    throw e;
  }
  const client = runway;
  return {
    world,
    pg,
    db,
    runway: client,
    worker,
    dbHostDir,
    appPorts: [appPort, appPort + 1],
    async run(runbook, input) {
      // A run the worker refuses at once (invalid, exit 2) is reported by start() itself, as the CLI reports it.
      const handle = await client.start(runbook, input).catch((err: unknown) => {
        if (err instanceof InputError) return err;
        throw err;
      });
      if (handle instanceof InputError)
        return { exitCode: ExitCode.Invalid, status: 'invalid', message: handle.message };
      const outcome = await client.wait(handle);
      return outcome;
    },
    stop,
  };
}
