/**
 * The baseline: what an operator would run by hand on the database host over ssh — a bare `pg_dump -Fc`, and a bare
 * `createdb` + `pg_restore` into a scratch database, the same row counts and query Runway's verify runs (built by the
 * same builders, so the SQL is identical), then `dropdb`. Each is one script sent over one multiplexed OpenSSH
 * connection as the login user, like Runway's pooled one; `@t <phase> <ns>` lines time its phases on the host.
 */
import { quote } from '../core/quote';
import { countRowsScript, marks, queryScript, type PgTarget } from '../runbooks/backup/scripts';
import type { Sandbox, SandboxHost } from '../sandbox/hosts';
import { ssh, sshArgs } from './ssh';

/** Where the bare side keeps its dump on the host, and its scratch database. */
export interface BareSide {
  sandbox: Sandbox;
  host: SandboxHost;
  controlPath: string;
  pg: PgTarget;
  database: string;
  file: string;
  scratch: string;
  /** Expected rows per table, and the expected output of `query`. */
  rows: Record<string, number>;
  query: string;
  expect: string;
}

/** One timed bare run: wall seconds as this process saw them, and each phase's ms as the host saw them. */
export interface BareTimed {
  seconds: number;
  phases: Record<string, number>;
}

/** The phase that is no command: ssh's session on the multiplexed connection, the login shell, `date`. */
export const OUTSIDE_PHASES = '(ssh session, shell)';

const mark = (phase: string) => `echo "@t ${phase} $(date +%s%N)"`;

function env(pg: PgTarget): string {
  return `export PGHOST=${quote(pg.host ?? '')} PGPORT=${pg.port ?? 5432}`;
}

/** `pg_dump -Fc -f <file> <db>`, nothing more. */
export function bareDumpScript(b: BareSide): string {
  const dir = b.file.replace(/\/[^/]*$/, '');
  return [
    'set -e',
    env(b.pg),
    `mkdir -p ${quote(dir)}`,
    mark('start'),
    `pg_dump -Fc -f ${quote(b.file)} ${quote(b.database)}`,
    mark('pg_dump'),
  ].join('\n');
}

/** createdb, pg_restore as Runway calls it, the row counts and the query, dropdb. */
export function bareVerifyScript(b: BareSide): string {
  const tables = Object.keys(b.rows).map((t) => `public.${t}`);
  return [
    'set -e',
    env(b.pg),
    mark('start'),
    `createdb ${quote(b.scratch)}`,
    mark('createdb'),
    `pg_restore --no-owner --no-privileges --exit-on-error -d ${quote(b.scratch)} ${quote(b.file)}`,
    mark('pg_restore'),
    countRowsScript({ database: b.scratch, pg: b.pg, tables }),
    mark('row counts'),
    `Q=$(${queryScript({ database: b.scratch, pg: b.pg, sql: b.query })})`,
    'echo "@query $Q"',
    mark('query'),
    `dropdb ${quote(b.scratch)}`,
    mark('dropdb'),
  ].join('\n');
}

/** Milliseconds between consecutive `@t` marks, named for the phase that ended at the later one. */
export function phases(stdout: string): Record<string, number> {
  const points = marks(stdout, 't').map((l) => {
    const at = l.lastIndexOf(' ');
    return { name: l.slice(0, at), ns: BigInt(l.slice(at + 1)) };
  });
  const out: Record<string, number> = {};
  for (let i = 1; i < points.length; i++) out[points[i].name] = Number(points[i].ns - points[i - 1].ns) / 1e6;
  return out;
}

async function timed(b: BareSide, script: string): Promise<{ stdout: string; t: BareTimed }> {
  const start = performance.now();
  const stdout = await ssh(sshArgs(b.sandbox, b.host, script, b.controlPath));
  const seconds = (performance.now() - start) / 1000;
  const timedPhases = phases(stdout);
  const onHost = Object.values(timedPhases).reduce((a, c) => a + c, 0);
  return { stdout, t: { seconds, phases: { ...timedPhases, [OUTSIDE_PHASES]: seconds * 1000 - onHost } } };
}

export async function bareBackup(b: BareSide): Promise<BareTimed> {
  return (await timed(b, bareDumpScript(b))).t;
}

/** The bare verify, checked like Runway's: every table's count and the query's output. */
export async function bareVerify(b: BareSide): Promise<BareTimed> {
  const { stdout, t } = await timed(b, bareVerifyScript(b));
  const got = Object.fromEntries(marks(stdout, 'rows').map((l) => [l.slice(0, l.lastIndexOf('|')), l.split('|')[1]]));
  for (const [table, n] of Object.entries(b.rows)) {
    if (got[`public.${table}`] !== String(n))
      throw new Error(`bare verify: ${table} has ${got[`public.${table}`]} rows, expected ${n}`);
  }
  const query = marks(stdout, 'query')[0];
  if (query !== b.expect) throw new Error(`bare verify: the query returned ${query}, expected ${b.expect}`);
  return t;
}

/** The size of the bare dump, in bytes. */
export async function bareDumpBytes(b: BareSide): Promise<number> {
  return Number((await ssh(sshArgs(b.sandbox, b.host, `wc -c <${quote(b.file)}`, b.controlPath))).trim());
}
