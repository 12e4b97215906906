import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';

/** Process and port helpers shared by the sandbox hosts and the dev server. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pids of every descendant of `pid`. Each connection is served by a forked sshd that calls setsid(), so killing the
 * listener alone would leave open sessions alive; a host that "disappears" must drop them too.
 */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const ent of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const stat = readFileSync(`/proc/${ent}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(ent)]);
      } catch {
        // The process exited while we were scanning.
      }
    }
  } catch {
    return []; // No /proc (not Linux): only the listener itself can be killed.
  }
  const out: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const next = children.get(queue.shift()!) ?? [];
    out.push(...next);
    queue.push(...next);
  }
  return out;
}

/** Signals a process, and SIGKILLs every process it started. */
export function killTree(pid: number, signal: NodeJS.Signals): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, p === pid ? signal : 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** True when something accepts TCP connections on address:port. */
export function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port }, () => resolve(!!sock.destroy()));
    sock.on('error', () => resolve(false));
  });
}

/** Polls `check` every 20 ms until it is true (true) or `ms` pass (false). */
export async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + ms; ; await sleep(20)) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
  }
}

/**
 * Stops every process a `*.pid` file under `dir` names, if it still runs from inside `dir` (pids get reused): the demo
 * apps run detached and nginx daemonizes, so a demo that was killed leaves them holding the demo's ports. On a normal
 * exit this is what stops the apps.
 */
export async function stopDemoProcesses(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const pidFiles = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.pid'));
  const pids = pidFiles.map((f) => Number(read(join(dir, f)).trim())).filter((pid) => pid > 0 && runsFrom(pid, dir));
  pids.forEach((pid) => killTree(pid, 'SIGTERM'));
  if (!(await until(5000, async () => !pids.some((pid) => runsFrom(pid, dir))))) {
    pids.forEach((pid) => killTree(pid, 'SIGKILL'));
  }
}

/** Whether `pid` runs from inside `dir`: by its command line (sshd, nginx) or working directory (the demo apps). */
function runsFrom(pid: number, dir: string): boolean {
  const cmdline = read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
  let cwd = '';
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // Gone, or a zombie: it holds no port.
  }
  return cmdline.includes(`${dir}/`) || cwd.startsWith(`${dir}/`);
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * SIGKILLs every process named by a `*.pid` file directly in `dirs`. Services started detached (setsid) outlive their
 * host's sshd, so stopping sandbox hosts leaves them; their pid files say what to stop.
 */
export function killFromPidFiles(dirs: string[]): void {
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
      const pid = Number(read(join(dir, file)).trim());
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** A TCP port free on 127.0.0.1 at the moment of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
