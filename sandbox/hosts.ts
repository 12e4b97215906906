import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureSandboxUser, keygen, keygenPath, letTraverse, SANDBOX_USER } from './accounts';
import { reserveAddresses, type AddressReservation } from './addresses';

export { SANDBOX_USER };
import { accepts, killTree, until } from './process';

/** One sandbox host: a real `sshd` listening on its own loopback address, with its own host key and base dir. */
export interface SandboxHost {
  /** Host name, e.g. `web-1`; also exported to remote commands as `RUNWAY_HOST`. */
  name: string;
  /** Loopback address the host's sshd listens on, e.g. `127.1.0.1`. */
  address: string;
  /** TCP port of the host's sshd. */
  port: number;
  /** The host's own base directory (absolute), created empty; exported as `RUNWAY_HOST_DIR`. */
  dir: string;
  /** Private host key path. */
  hostKeyFile: string;
  /** Public host key, `ssh-ed25519 AAAA...` without comment. */
  publicKey: string;
  /** `SHA256:...` fingerprint as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** A running set of sandbox hosts that all trust one client key. */
export interface Sandbox {
  /** Root directory of the sandbox (absolute). */
  dir: string;
  /**
   * Login user on every host. As root: {@link SANDBOX_USER}, a system user with `/bin/sh` as its shell (created once),
   * so a host's command costs what a lean server's does, not this machine's interactive shell setup. Otherwise the
   * user running this process, since a non-root sshd can only log in as itself.
   */
  user: string;
  /** Ed25519 private key (no passphrase) authorized on every host. */
  clientKeyFile: string;
  /** OpenSSH known_hosts with one `[address]:port keytype key` line per host (as of start). */
  knownHostsFile: string;
  /** The hosts, in start order; entries are updated in place by {@link Sandbox.rotateHostKey}. */
  hosts: SandboxHost[];
  /** Gives the host a brand-new host key and restarts its sshd; known_hosts is NOT updated (a "changed key" host). */
  rotateHostKey(name: string): Promise<SandboxHost>;
  /** Stops one host's sshd, killing its open sessions too, e.g. to simulate a host that disappears. */
  stopHost(name: string): Promise<void>;
  /** Starts a stopped host's sshd again (same address, key and dir); no-op if it is running. */
  startHost(name: string): Promise<void>;
  /** Stops every sshd and releases the addresses it reserved; idempotent; leaves the files in {@link Sandbox.dir}. */
  stop(): Promise<void>;
}

/** Options for {@link startSandbox}. */
export interface SandboxOptions {
  /** Root directory of the sandbox; created if missing. */
  dir: string;
  /** Number of hosts. */
  count: number;
  /** Host names (length `count`); default `host-1..host-N`. */
  names?: string[];
  /**
   * The hosts' loopback addresses, in order (length `count`), e.g. the demo's documented 127.0.0.11–13. Default:
   * `count` addresses from {@link reserveAddresses}, which no other sandbox holds; stop() releases them.
   */
  addresses?: string[];
  /** Port shared by all hosts (their addresses differ). Default 2222. */
  port?: number;
}

const SSHD = '/usr/sbin/sshd';
const SETPRIV = '/usr/bin/setpriv';
const run = promisify(execFile);

interface HostState {
  host: SandboxHost;
  config: string;
  pidFile: string;
  proc?: { child: ChildProcess; exited: Promise<unknown>; stderr: string };
}

// One process-wide 'exit' hook (not one per sandbox) so many sandboxes never trip MaxListeners.
const live = new Set<ChildProcess>();
let hooked = false;

/** An sshd left behind by a previous run that was SIGKILLed would hold the address; reclaim it only if it is ours. */
async function reapStale(s: HostState): Promise<void> {
  const pid = Number((await readFile(s.pidFile, 'utf8').catch(() => '')).trim());
  const cmdline = pid ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
  // sshd rewrites its argv (setproctitle) into one space-separated string, hence the normalisation.
  if (!cmdline.replace(/\0/g, ' ').includes(`-f ${s.config} `)) return;
  killTree(pid, 'SIGKILL');
  await until(2000, async () => !(await accepts(s.host.address, s.host.port)));
}

function sshdConfig(h: SandboxHost, pidFile: string, authorizedKeys: string): string {
  // Quoted because sandbox paths (e.g. under a user's tmpdir) may contain spaces.
  return [
    `ListenAddress ${h.address}:${h.port}`,
    `HostKey "${h.hostKeyFile}"`,
    `PidFile "${pidFile}"`,
    `AuthorizedKeysFile "${authorizedKeys}"`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The sandbox lives in a tmpdir whose ownership/modes sshd would otherwise reject.
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'MaxSessions 64',
    'MaxStartups 200',
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    `SetEnv RUNWAY_HOST=${h.name} "RUNWAY_HOST_DIR=${h.dir}"`,
    '',
  ].join('\n');
}

async function launch(s: HostState): Promise<void> {
  if (s.proc) return;
  const { name, address, port } = s.host;
  await reapStale(s);
  if (await accepts(address, port)) throw new Error(`sandbox host ${name}: ${address}:${port} is already in use`);
  const argv = [SSHD, '-D', '-e', '-f', s.config];
  // setpriv (util-linux, always on Debian) execs sshd with PR_SET_PDEATHSIG, so the kernel stops sshd even when
  // this process dies by a signal that skips the 'exit' hook (SIGKILL, an unhandled SIGTERM).
  if (existsSync(SETPRIV)) argv.unshift(SETPRIV, '--pdeathsig', 'SIGTERM');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const proc = { child, exited: new Promise((r) => child.once('close', r)), stderr: '' };
  s.proc = proc;
  live.add(child);
  child.on('error', (e) => (proc.stderr += `${e.message}\n`));
  child.stderr!.on('data', (d: Buffer) => (proc.stderr = (proc.stderr + d.toString()).slice(-4000)));
  void proc.exited.then(() => {
    live.delete(child);
    if (s.proc === proc) s.proc = undefined;
  });
  // Don't hold the event loop open: the 'exit' hook kills sshd when the owner forgets to call stop().
  child.unref();
  (child.stderr as net.Socket).unref();
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const up = await until(10_000, async () => gone() || (await accepts(address, port)));
  if (up && !gone()) return;
  await halt(s);
  const why = proc.stderr.trim() || (up ? `exited with ${child.exitCode ?? child.signalCode}` : 'no output');
  throw new Error(`sandbox host ${name}: sshd did not accept connections on ${address}:${port}: ${why}`);
}

async function halt(s: HostState): Promise<void> {
  const proc = s.proc;
  if (!proc?.child.pid) return;
  const pid = proc.child.pid;
  // Re-ref so a script that ends with `await sandbox.stop()` is not cut off before sshd has exited.
  proc.child.ref();
  (proc.child.stderr as net.Socket).ref();
  killTree(pid, 'SIGTERM');
  // A wedged sshd must not hang stop(); unref'd so the fallback timer never keeps the process alive either.
  const timer = setTimeout(() => killTree(pid, 'SIGKILL'), 3000).unref();
  await proc.exited;
  clearTimeout(timer);
}

/**
 * Starts `opts.count` real OpenSSH sshd hosts on loopback addresses of their own, concurrently. Throws if sshd or
 * ssh-keygen is missing, a config is rejected by `sshd -t`, or a host does not accept connections within ~10 s (with
 * sshd's stderr).
 */
export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const bin = keygenPath();
  const { count } = opts;
  const names = opts.names ?? Array.from({ length: count }, (_, i) => `host-${i + 1}`);
  if (names.length !== count || new Set(names).size !== count || names.some((n) => !/^[\w.-]+$/.test(n)))
    throw new Error(`sandbox: need ${count} distinct names of [A-Za-z0-9_.-], got ${JSON.stringify(names)}`);
  const given = opts.addresses;
  if (given && (given.length !== count || new Set(given).size !== count || given.some((a) => !net.isIPv4(a))))
    throw new Error(`sandbox: need ${count} distinct IPv4 addresses, got ${JSON.stringify(given)}`);
  const reserved = given ? undefined : reserveAddresses(count);
  try {
    return await start(bin, names, given ?? reserved!.addresses, opts, reserved);
  } catch (e) {
    reserved?.release();
    throw e;
  }
}

async function start(
  bin: string,
  names: string[],
  addresses: string[],
  opts: SandboxOptions,
  reserved: AddressReservation | undefined,
): Promise<Sandbox> {
  const port = opts.port ?? 2222;
  const dir = path.resolve(opts.dir);
  await mkdir(path.join(dir, 'sshd'), { recursive: true });
  // sshd running as root insists on its privilege separation dir, which a fresh container may lack.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const user = asRoot ? await ensureSandboxUser() : os.userInfo().username;
  if (asRoot) await letTraverse(dir);
  const clientKeyFile = path.join(dir, 'client_ed25519');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, `${(await keygen(bin, clientKeyFile, 'runway-sandbox-client')).publicKey}\n`);

  const states = await Promise.all(
    names.map(async (name, i): Promise<HostState> => {
      const confDir = path.join(dir, 'sshd', name);
      const host = { name, address: addresses[i], port, dir: path.join(dir, 'hosts', name) };
      await rm(host.dir, { recursive: true, force: true });
      await Promise.all([mkdir(host.dir, { recursive: true }), mkdir(confDir, { recursive: true })]);
      if (asRoot) await run('chown', [user, host.dir]);
      const hostKeyFile = path.join(confDir, 'ssh_host_ed25519_key');
      const full = { ...host, hostKeyFile, ...(await keygen(bin, hostKeyFile, `runway-sandbox-${name}`)) };
      const s = { host: full, config: path.join(confDir, 'sshd_config'), pidFile: path.join(confDir, 'sshd.pid') };
      await writeFile(s.config, sshdConfig(full, s.pidFile, authorizedKeys));
      await run(SSHD, ['-t', '-f', s.config]).catch((e: { stderr?: string; message: string }) => {
        throw new Error(
          `sandbox host ${name}: sshd -t -f ${s.config} rejected the config: ${e.stderr?.trim() || e.message}`,
        );
      });
      return s;
    }),
  );
  const knownHostsFile = path.join(dir, 'known_hosts');
  // OpenSSH writes port 22 entries without brackets, and would not match a bracketed one.
  const hostPattern = (h: SandboxHost) => (h.port === 22 ? h.address : `[${h.address}]:${h.port}`);
  await writeFile(knownHostsFile, states.map(({ host: h }) => `${hostPattern(h)} ${h.publicKey}\n`).join(''));

  if (!hooked) process.on('exit', () => live.forEach((c) => c.pid && killTree(c.pid, 'SIGTERM')));
  hooked = true;
  const stop = async () => {
    await Promise.all(states.map(halt));
    reserved?.release();
  };
  const started = await Promise.allSettled(states.map(launch));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const byName = (name: string) => {
    const s = states.find((x) => x.host.name === name);
    if (!s) throw new Error(`sandbox: no host named ${name}`);
    return s;
  };
  return {
    dir,
    user,
    clientKeyFile,
    knownHostsFile,
    hosts: states.map((s) => s.host),
    async rotateHostKey(name) {
      const s = byName(name);
      await halt(s);
      Object.assign(s.host, await keygen(bin, s.host.hostKeyFile, `runway-sandbox-${name}`));
      await launch(s);
      return s.host;
    },
    stopHost: (name) => halt(byName(name)),
    startHost: (name) => launch(byName(name)),
    stop,
  };
}
