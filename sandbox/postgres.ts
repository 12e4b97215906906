import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureSandboxUser, letTraverse } from './accounts';
import { freePort } from './process';

/**
 * A throwaway PostgreSQL cluster for the sandbox: `initdb` + `pg_ctl` as the sandbox hosts' login user, listening on
 * a Unix socket only, with peer authentication — so that user, logged in to a sandbox host over ssh, is its superuser
 * by name, exactly as a DBA account on a real database host would be.
 */

const VERSIONS = '/usr/lib/postgresql';
const MISSING = 'PostgreSQL server not found: install Debian package postgresql (apt-get install -y postgresql)';
const run = promisify(execFile);

/** What a client needs to reach a cluster, and the commands the sandbox runs against it (as `user`). */
export interface PostgresClient {
  /** The server's bin dir, e.g. `/usr/lib/postgresql/15/bin` (client tools of the same version are there too). */
  bin: string;
  /** The directory holding the socket file `.s.PGSQL.<port>`; it and its parents are traversable by everyone. */
  socketDir: string;
  port: number;
  /** The cluster's OS user and superuser (peer auth: only that OS user logs in, as that role). */
  user: string;
  /** PGHOST, PGPORT and PGUSER for client tools. */
  env: Record<string, string>;
  /** Runs `sql` with `psql -X -At -v ON_ERROR_STOP=1` as `user` (default database `postgres`); resolves its stdout. */
  psql(sql: string, database?: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  /** Drops the database, disconnecting its sessions; no error when it does not exist. */
  dropDatabase(name: string): Promise<void>;
  /** Non-template databases, sorted. */
  databases(): Promise<string[]>;
}

/** A running cluster started by {@link startPostgres}. */
export interface SandboxPostgres extends PostgresClient {
  dataDir: string;
  /** `pg_ctl -m fast stop`; idempotent; leaves every file where it is. */
  stop(): Promise<void>;
}

/** Options for {@link startPostgres}: `user` defaults to SANDBOX_USER as root, else the current user. */
export interface PostgresOptions {
  /** Created if missing; holds `data/`, `socket/` and `postgres.log`. A fresh dir per start (initdb needs it empty). */
  dir: string;
  user?: string;
  /** Names the socket file; default a TCP port free right now, so no other cluster uses the same name. */
  port?: number;
}

/** The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`; undefined when none is installed. */
export function installedPostgresBin(): string | undefined {
  const versions = existsSync(VERSIONS) ? readdirSync(VERSIONS).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  return versions
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(VERSIONS, v, 'bin'))
    .find((bin) => ['initdb', 'pg_ctl'].every((tool) => existsSync(path.join(bin, tool))));
}

/** {@link installedPostgresBin}, or throws saying which Debian package to install. */
export function findPostgresBin(): string {
  const bin = installedPostgresBin();
  if (!bin) throw new Error(MISSING);
  return bin;
}

/** Runs a program as `user`: through `runuser` when we are root, directly when we already are that user. */
function runAs(user: string, cwd: string) {
  const asRoot = process.getuid?.() === 0;
  return (file: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', user, '--', file, ...args], { cwd }) : run(file, args, { cwd });
}

const errorOf = (e: unknown) => ((e as { stderr?: string }).stderr?.trim() || (e as Error).message).slice(-2000);
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The client side of a cluster someone else started (e.g. the jest run's, rebuilt from its environment). */
export function postgresClient(c: { bin: string; socketDir: string; port: number; user: string }): PostgresClient {
  const exec = runAs(c.user, c.socketDir);
  const psql = async (sql: string, database = 'postgres') => {
    const args = ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', c.socketDir, '-p', String(c.port), '-U', c.user];
    try {
      return (await exec(path.join(c.bin, 'psql'), [...args, '-d', database, '-c', sql])).stdout;
    } catch (e) {
      throw new Error(`postgres: psql on ${database} failed: ${errorOf(e)}`);
    }
  };
  return {
    ...c,
    env: { PGHOST: c.socketDir, PGPORT: String(c.port), PGUSER: c.user },
    psql,
    createDatabase: async (name) => void (await psql(`create database ${ident(name)}`)),
    dropDatabase: async (name) => void (await psql(`drop database if exists ${ident(name)} with (force)`)),
    databases: async () =>
      (await psql('select datname from pg_database where not datistemplate order by 1')).split('\n').filter(Boolean),
  };
}

// Data dirs of clusters still running, so one process-wide 'exit' hook stops those the owner forgot: the postmaster
// is a daemon that would outlive us.
const live = new Set<string>();
let hooked = false;

/** The postmaster's pid, only if that process still serves `dataDir` (pids get reused). */
function postmasterOf(dataDir: string): number | undefined {
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const pid = Number(read(path.join(dataDir, 'postmaster.pid')).split('\n')[0]);
  return pid > 0 && read(`/proc/${pid}/cmdline`).split('\0').includes(dataDir) ? pid : undefined;
}

function quit(dataDir: string): void {
  const pid = postmasterOf(dataDir);
  try {
    if (pid) process.kill(pid, 'SIGQUIT');
  } catch {
    // Already gone.
  }
}

/**
 * Creates and starts a cluster in `opts.dir` as `user`: socket only (`listen_addresses=''`), peer auth on the socket,
 * every TCP connection rejected, `fsync=off`. Throws with initdb's output or the server log's tail when it cannot.
 */
export async function startPostgres(opts: PostgresOptions): Promise<SandboxPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const me = os.userInfo().username;
  const user = opts.user ?? (asRoot ? await ensureSandboxUser() : me);
  if (!asRoot && user !== me) throw new Error(`postgres: only root can start a cluster as ${user}, not ${me}`);
  const dir = path.resolve(opts.dir);
  const [dataDir, socketDir, logFile] = ['data', 'socket', 'postgres.log'].map((f) => path.join(dir, f));
  await mkdir(socketDir, { recursive: true });
  if (asRoot) await run('chown', [`${user}:`, dir, socketDir]);
  // As root the login user is another account: it must traverse every parent to reach the socket (mkdtemp gives 0700).
  if (asRoot) await letTraverse(dir);
  await Promise.all([chmod(dir, 0o755), chmod(socketDir, 0o755)]);
  const port = opts.port ?? (await freePort());
  const exec = runAs(user, dir);
  // Peer auth works whether or not we are root: the cluster, its superuser and the hosts' login user are one account.
  const initdb = ['-D', dataDir, '-U', user, '--auth-local=peer', '--auth-host=reject', '--no-sync'];
  await exec(path.join(bin, 'initdb'), [...initdb, '--encoding=UTF8', '--locale=C']).catch((e) => {
    throw new Error(`postgres: initdb -D ${dataDir} failed: ${errorOf(e)}`);
  });
  const settings = {
    listen_addresses: literal(''),
    unix_socket_directories: literal(socketDir),
    port: String(port),
    fsync: 'off',
    shared_buffers: '64MB',
    max_connections: '50',
  };
  const conf = Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`);
  await appendFile(path.join(dataDir, 'postgresql.conf'), `\n# runway sandbox\n${conf.join('')}`);

  // SIGQUIT is PostgreSQL's immediate shutdown: the only kind a synchronous 'exit' hook can ask for.
  if (!hooked) process.on('exit', () => [...live].forEach(quit));
  hooked = true;
  live.add(dataDir);
  const halt = async () => {
    live.delete(dataDir);
    if (!postmasterOf(dataDir)) return;
    await exec(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch((e) => {
      if (postmasterOf(dataDir)) throw new Error(`postgres: pg_ctl stop -D ${dataDir} failed: ${errorOf(e)}`);
    });
  };
  try {
    await exec(path.join(bin, 'pg_ctl'), ['-w', '-D', dataDir, '-l', logFile, 'start']);
  } catch (e) {
    await halt().catch(() => undefined);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().slice(-2000) : '(none)';
    throw new Error(`postgres: pg_ctl start -D ${dataDir} failed: ${errorOf(e)}; postgres.log: ${log}`);
  }
  let stopping: Promise<void> | undefined;
  return { ...postgresClient({ bin, socketDir, port, user }), dataDir, stop: () => (stopping ??= halt()) };
}
