import { spawn } from 'node:child_process';
import type { Sandbox, SandboxHost } from '../sandbox/hosts';

/** ControlPersist of the multiplexed baseline: masters outlive a crashed bench by at most this long. */
const PERSIST_SECONDS = 60;

/** The OpenSSH client's words to run `command` on `host`, the way an operator would; multiplexed over `controlPath`. */
export function sshArgs(sandbox: Sandbox, host: SandboxHost, command: string, controlPath?: string): string[] {
  const mux = controlPath
    ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${controlPath}`, '-o', `ControlPersist=${PERSIST_SECONDS}`]
    : ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
  return [
    ...['-i', sandbox.clientKeyFile, '-o', `UserKnownHostsFile=${sandbox.knownHostsFile}`],
    ...['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-F', 'none'],
    ...['-o', 'LogLevel=ERROR'],
    ...mux,
    ...['-p', String(host.port), `${sandbox.user}@${host.address}`, command],
  ];
}

/** Runs `ssh args`; resolves with its stdout, rejects with its stderr when it exits non-zero. */
export function ssh(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // stdin ignored: ssh would otherwise read it, and a ControlPersist master must not inherit a pipe it keeps open.
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`ssh ${args.at(-2)} exited ${code}: ${err.trim()}`)),
    );
  });
}

/**
 * Runs the commands in sequence, each on every host in parallel (one `ssh` process per host), and checks each host
 * answered `expected(command, host)`. `controlPath(host)` turns on multiplexing.
 */
export async function sshSteps(
  sandbox: Sandbox,
  hosts: SandboxHost[],
  commands: string[],
  expected: (index: number, host: SandboxHost) => string,
  controlPath?: (host: SandboxHost) => string,
): Promise<void> {
  for (const [i, command] of commands.entries()) {
    await Promise.all(
      hosts.map(async (h) => {
        const out = (await ssh(sshArgs(sandbox, h, command, controlPath?.(h)))).trim();
        if (out !== expected(i, h)) throw new Error(`ssh ${h.name}: expected "${expected(i, h)}", got "${out}"`);
      }),
    );
  }
}

/** Asks each host's multiplexing master to exit; a host without one is fine (best effort, for cleanup). */
export async function closeMasters(sandbox: Sandbox, hosts: SandboxHost[], controlPath: (h: SandboxHost) => string) {
  await Promise.allSettled(
    hosts.map((h) =>
      ssh(['-F', 'none', '-o', `ControlPath=${controlPath(h)}`, '-O', 'exit', `${sandbox.user}@${h.address}`]),
    ),
  );
}
