import { chmodSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Loopback addresses for sandbox hosts, so that no two users ever get the same ones at once — test files of one jest
 * run (each with its own module registry), a benchmark beside `npm test`, two jest runs. On Linux the whole
 * 127.0.0.0/8 is routed to `lo`: any of its addresses can be bound with no setup.
 *
 * Addresses come in /24 blocks from 127.1.0.0 upward (127.0.0.0/24 is left to the demo and system services), .1–.254
 * of each, `ceil(count / 254)` consecutive blocks per request. A block is reserved by atomically creating its lock
 * file (`<dir>/127.A.B`, by `link(2)`, so it never exists half-written) naming the owner's pid and start time (so a
 * reused pid is not taken for the owner). A lock whose owner is gone is stale, and is taken over under a per-block
 * `.reclaim` mutex (two processes must not both delete it and both think they won it).
 *
 * Within one process a block is never handed out twice: `release()` marks the lock released — other processes may take
 * it then — but the owner itself skips it until it exits, because what it started there (a detached app, an nginx
 * draining) may still hold those addresses when the next test file of the same jest process asks for some. Lock files
 * are deleted when the process exits; if it is killed, they are stale from then on.
 */

/** Addresses reserved by {@link reserveAddresses}. */
export interface AddressReservation {
  /** Distinct loopback addresses, e.g. `127.1.0.1`, in order. */
  addresses: string[];
  /** Lets other processes have the addresses (this one never gets them again); idempotent. */
  release(): void;
}

/** Options for {@link reserveAddresses}. */
export interface ReserveOptions {
  /** Directory of the lock files; default {@link DEFAULT_LOCK_DIR}, shared by every process on the machine. */
  lockDir?: string;
}

/** Where lock files live unless told otherwise. */
export const DEFAULT_LOCK_DIR = path.join(os.tmpdir(), 'runway-addresses');

const PER_BLOCK = 254;
/** 127.1.0.0/24 … 127.255.255.0/24. */
const BLOCKS = 255 * 256;

interface Owner {
  pid: number;
  /** Start time in clock ticks since boot (`/proc/<pid>/stat` field 22); '' where there is no /proc. */
  start: string;
  released: boolean;
}

// Shared through `process` by every copy of this module in the process (jest gives each test file its own), so one
// 'exit' hook deletes every lock the process holds.
const STATE = Symbol.for('runway.sandbox.addresses');
type State = { held: Set<string>; hooked: boolean };
const state: State = ((process as unknown as Record<symbol, State>)[STATE] ??= { held: new Set(), hooked: false });

const blockName = (k: number) => `127.${1 + (k >> 8)}.${k & 255}`;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A process's start time, or undefined if it is gone or a zombie (a zombie holds no address). */
function startOf(pid: number): string | undefined {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(pid, 0);
      return '';
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? '' : undefined;
    }
  }
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? undefined : fields[19];
}

const ME: Owner = { pid: process.pid, start: startOf(process.pid) ?? '', released: false };
const text = (o: Owner) => `${o.pid} ${o.start}${o.released ? ' released' : ''}\n`;

function parse(content: string | undefined): Owner | undefined {
  const m = /^(\d+) (\d*)( released)?\n$/.exec(content ?? '');
  return m ? { pid: Number(m[1]), start: m[2], released: !!m[3] } : undefined;
}

const isMe = (o: Owner) => o.pid === ME.pid && o.start === ME.start;
const alive = (o: Owner) => startOf(o.pid) === o.start;

/**
 * Runs `fn` holding the block's reclaim mutex; false if another process holds it. A process that dies inside (a few
 * microseconds) leaves the block unusable: a leak of one block in 65,280, never a double grant.
 */
function underMutex(lock: string, fn: () => boolean): boolean {
  let fd: number;
  try {
    fd = openSync(`${lock}.reclaim`, 'wx');
  } catch {
    return false;
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    rmSync(`${lock}.reclaim`, { force: true });
  }
}

/** Deletes a lock another process may take over (its owner is gone, or released it); true if it is gone now. */
function reclaim(lock: string): boolean {
  return underMutex(lock, () => {
    const content = read(lock);
    if (content === undefined) return true;
    const owner = parse(content);
    // A lock is never half-written (see tryLock), so one that does not parse is damaged, not being written.
    if (owner && (isMe(owner) || (!owner.released && alive(owner)))) return false;
    try {
      rmSync(lock);
      return true;
    } catch {
      return false; // e.g. another user's lock in a sticky /tmp dir
    }
  });
}

/** Creates `lock` as a hard link to `staged` (atomic, fails if it exists), taking over a stale one once. */
function tryLock(staged: string, lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      linkSync(staged, lock);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (attempt > 0 || !reclaim(lock)) return false;
  }
  return false;
}

/** Deletes the lock if this process still owns it (an 'exit' hook, so synchronous). */
function drop(lock: string): void {
  underMutex(lock, () => {
    const owner = parse(read(lock));
    if (owner && isMe(owner)) rmSync(lock, { force: true });
    return true;
  });
  state.held.delete(lock);
}

function openLockDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true });
  // Shared by every user's runs, like /tmp itself: anyone may add a lock, only its owner may delete it.
  try {
    chmodSync(dir, 0o1777);
  } catch {
    // Another user created it in the meantime.
  }
}

/**
 * Reserves `count` distinct loopback addresses no other user of this allocator holds, in `ceil(count / 254)`
 * consecutive /24 blocks. Throws if `count` is not a positive integer or every block is taken.
 */
export function reserveAddresses(count: number, options: ReserveOptions = {}): AddressReservation {
  const blocks = Math.ceil(count / PER_BLOCK);
  if (!Number.isInteger(count) || count < 1 || blocks > BLOCKS)
    throw new Error(`addresses: cannot reserve ${count} (1..${BLOCKS * PER_BLOCK})`);
  const dir = path.resolve(options.lockDir ?? DEFAULT_LOCK_DIR);
  openLockDir(dir);
  if (!state.hooked) process.on('exit', () => [...state.held].forEach(drop));
  state.hooked = true;
  // Written once, then hard-linked as each block's lock: a lock is complete the moment it exists.
  const staged = path.join(dir, `.staged-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(staged, text(ME));
  try {
    for (let first = 0; first + blocks <= BLOCKS;) {
      const got: string[] = [];
      while (got.length < blocks && tryLock(staged, path.join(dir, blockName(first + got.length)))) {
        got.push(path.join(dir, blockName(first + got.length)));
      }
      if (got.length === blocks) return reservation(got, count);
      // Never handed out, so they may go straight back.
      got.forEach((lock) => rmSync(lock, { force: true }));
      first += got.length + 1;
    }
  } finally {
    rmSync(staged, { force: true });
  }
  throw new Error(`addresses: no ${blocks} consecutive free /24 blocks in 127.1.0.0–127.255.255.255 (locks: ${dir})`);
}

function reservation(locks: string[], count: number): AddressReservation {
  locks.forEach((lock) => state.held.add(lock));
  const addresses = locks
    .flatMap((lock) => Array.from({ length: PER_BLOCK }, (_, i) => `${path.basename(lock)}.${i + 1}`))
    .slice(0, count);
  let released = false;
  return {
    addresses,
    release() {
      if (released) return;
      released = true;
      for (const lock of locks) {
        // Replaced by rename, so a reader sees the old text or the new, never a partial one.
        const next = `${lock}.${process.pid}.released`;
        writeFileSync(next, text({ ...ME, released: true }));
        renameSync(next, lock);
      }
    },
  };
}
