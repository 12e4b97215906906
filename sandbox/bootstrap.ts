import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { installedPostgresBin } from './postgres';

/** The repository root (where `.runway/` lives). */
export const ROOT = resolve(__dirname, '..');

/** The Temporal CLI Runway is tested with; later tags carry a `replace` directive and cannot be go-installed. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** A command some part of Runway needs, and the Debian package that provides it. */
export interface Need {
  command: string;
  pkg: string;
  /** Decides instead of looking `command` up, for tools outside PATH (then `command` only names them). */
  present?: () => boolean;
}

/** What the tests and the demo need from Debian. */
export const TEST_NEEDS: Need[] = [
  { command: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { command: 'ssh', pkg: 'openssh-client' },
  { command: 'ssh-keygen', pkg: 'openssh-client' },
  { command: '/usr/sbin/nginx', pkg: 'nginx' },
  // The server lives outside PATH, one bin dir per major version; pgbench comes with it (and /usr/bin/pgbench is only
  // postgresql-client-common's wrapper, present without it).
  {
    command: '/usr/lib/postgresql/<version>/bin/{initdb,pg_ctl,pgbench}',
    pkg: 'postgresql',
    present: () => existsSync(join(installedPostgresBin() ?? '/nonexistent', 'pgbench')),
  },
  { command: 'psql', pkg: 'postgresql-client' },
  { command: 'pg_dump', pkg: 'postgresql-client' },
  { command: 'pg_restore', pkg: 'postgresql-client' },
  { command: 'prometheus', pkg: 'prometheus' },
  { command: 'promtool', pkg: 'prometheus' },
  // Headless, to check what a person sees in the Web UI.
  { command: 'chromium', pkg: 'chromium' },
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a command on PATH (or an absolute path); undefined when absent. */
export function which(command: string): string | undefined {
  if (command.includes('/')) return executable(command) ? command : undefined;
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((d) => join(d, command))
    .find(executable);
}

/** The `temporal` CLI: `$TEMPORAL_CLI`, then PATH, then `.runway/bin/temporal`; undefined when none is there. */
export function findTemporal(): string | undefined {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!executable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  return (
    which('temporal') ??
    (executable(join(ROOT, '.runway/bin/temporal')) ? join(ROOT, '.runway/bin/temporal') : undefined)
  );
}

/** Finds the `temporal` CLI or builds it into `.runway/bin` with `go install` (a minute or two, once). */
export function ensureTemporal(log: (line: string) => void = console.error): string {
  return findTemporal() ?? goInstall('temporal', TEMPORAL_CLI_MODULE, log, ', or set TEMPORAL_CLI');
}

/** The ACME test server and its DNS companion Runway's certificate tests run against, from one module version. */
export const PEBBLE_MODULES = {
  pebble: 'github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3',
  'pebble-challtestsrv': 'github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@v2.10.3',
} as const;

/** `pebble` and `pebble-challtestsrv`: from PATH, else `.runway/bin`, else built there with `go install` (seconds). */
export function ensurePebble(log: (line: string) => void = console.error): Record<keyof typeof PEBBLE_MODULES, string> {
  const found = (name: string) =>
    which(name) ?? (executable(join(ROOT, '.runway/bin', name)) ? join(ROOT, '.runway/bin', name) : undefined);
  const [pebble, challtestsrv] = (Object.keys(PEBBLE_MODULES) as Array<keyof typeof PEBBLE_MODULES>).map(
    (name) => found(name) ?? goInstall(name, PEBBLE_MODULES[name], log),
  );
  return { pebble, 'pebble-challtestsrv': challtestsrv };
}

/** Builds a Go command into `.runway/bin`; says exactly what is missing when Go is not there. */
function goInstall(name: string, module: string, log: (line: string) => void, hint = ''): string {
  const go = which('go') ?? (executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      `${name} is missing and Go is not installed to build it: install Go (https://go.dev/dl), or put ${name} on PATH${hint}`,
    );
  }
  const bin = join(ROOT, '.runway/bin');
  mkdirSync(bin, { recursive: true });
  log(`runway: building ${name} (${module}) into .runway/bin — once`);
  const built = spawnSync(go, ['install', module], { env: { ...process.env, GOBIN: bin }, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`go install ${module} failed (exit ${built.status})`);
  return join(bin, name);
}

/**
 * Installs the Debian packages behind missing commands when running as root; otherwise stops with one message
 * saying exactly what to install. Quick when everything is there.
 */
export function ensurePackages(needs: Need[], log: (line: string) => void = console.error): void {
  const absent = (n: Need) => !(n.present ? n.present() : which(n.command));
  const missing = [...new Set(needs.filter(absent).map((n) => n.pkg))];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(`missing Debian packages: install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  log(`runway: installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = needs.filter(absent);
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.map((n) => n.command).join(', ')}`);
}
