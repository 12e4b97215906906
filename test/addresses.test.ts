import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { reserveAddresses, type AddressReservation } from '../sandbox/addresses';
import { ROOT } from '../sandbox/bootstrap';

const ADDRESS = /^127\.(\d+)\.(\d+)\.(\d+)$/;
const held: AddressReservation[] = [];
const children: ChildProcess[] = [];
let lockDir: string;

/** Reserves in this process, released after the file (so nothing here leaks into later test files' view). */
function reserve(count: number, options?: { lockDir: string }): string[] {
  const r = reserveAddresses(count, options);
  held.push(r);
  return r.addresses;
}

/** Another process that reserves `count` addresses (and releases them at once if asked), then waits for stdin to end. */
async function otherProcess(
  count: number,
  o: { lockDir?: string; release?: boolean } = {},
): Promise<{ addresses: string[]; child: ChildProcess; exited: Promise<unknown> }> {
  const code = [
    `const { reserveAddresses } = require(${JSON.stringify(path.join(ROOT, 'sandbox', 'addresses'))});`,
    `const r = reserveAddresses(${count}, ${JSON.stringify({ lockDir: o.lockDir })});`,
    o.release ? 'r.release();' : '',
    'console.log(JSON.stringify(r.addresses));',
    "process.stdin.resume().on('end', () => process.exit(0));",
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, stdio: 'pipe' });
  children.push(child);
  const exited = new Promise((r) => child.once('exit', r));
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out);
    });
    void exited.then(() => reject(new Error(`the other process exited: ${out}`)));
  });
  return { addresses: JSON.parse(line) as string[], child, exited };
}

const overlap = (a: string[], b: string[]) => a.filter((x) => b.includes(x));
const blocksOf = (addresses: string[]) => [...new Set(addresses.map((a) => a.replace(/\.\d+$/, '')))];

beforeAll(() => {
  lockDir = mkdtempSync(path.join(os.tmpdir(), 'runway-address-locks-'));
});

afterAll(async () => {
  held.forEach((r) => r.release());
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
  rmSync(lockDir, { recursive: true, force: true });
});

test('addresses are distinct loopback addresses, never in 127.0.0.0/24', () => {
  const addresses = reserve(10);
  expect(new Set(addresses).size).toBe(10);
  for (const a of addresses) {
    const [, b, c, d] = ADDRESS.exec(a)!.map(Number);
    expect(b).toBeGreaterThanOrEqual(1);
    expect(b).toBeLessThanOrEqual(255);
    expect(c).toBeLessThanOrEqual(255);
    expect(d).toBeGreaterThanOrEqual(1);
    expect(d).toBeLessThanOrEqual(254);
  }
});

test('1000 addresses come from 4 consecutive /24 blocks', () => {
  const addresses = reserve(1000);
  expect(new Set(addresses).size).toBe(1000);
  expect(addresses.every((a) => ADDRESS.test(a))).toBe(true);
  const index = (block: string) => {
    const [, b, c] = /^127\.(\d+)\.(\d+)$/.exec(block)!.map(Number);
    return b * 256 + c;
  };
  const blocks = blocksOf(addresses).map(index);
  expect(blocks).toEqual([0, 1, 2, 3].map((i) => blocks[0] + i));
});

test('a second reservation in the same process never overlaps, even once the first is released', () => {
  const first = reserveAddresses(300);
  const second = reserve(300);
  expect(overlap(first.addresses, second)).toEqual([]);
  first.release();
  first.release();
  const third = reserve(600);
  expect(overlap(first.addresses, third)).toEqual([]);
  expect(overlap(second, third)).toEqual([]);
});

test('a reservation held by another process is never handed out here, nor ours there', async () => {
  const ours = reserve(5);
  const other = await otherProcess(300);
  const after = reserve(300);
  expect(overlap(other.addresses, ours)).toEqual([]);
  expect(overlap(other.addresses, after)).toEqual([]);
  expect(new Set([...other.addresses, ...ours, ...after]).size).toBe(605);
  other.child.stdin!.end();
  await other.exited;
});

test('another process: held blocks are skipped, its locks go when it exits, released ones are free again', async () => {
  const other = await otherProcess(2, { lockDir });
  expect(other.addresses).toEqual(['127.1.0.1', '127.1.0.2']);
  expect(reserve(1, { lockDir })).toEqual(['127.1.1.1']);
  other.child.stdin!.end();
  await other.exited;
  expect(existsSync(path.join(lockDir, '127.1.0'))).toBe(false);
  const releasing = await otherProcess(1, { lockDir, release: true });
  expect(releasing.addresses).toEqual(['127.1.0.1']);
  expect(reserve(1, { lockDir })).toEqual(['127.1.0.1']);
  releasing.child.stdin!.end();
  await releasing.exited;
});

test("a killed process's blocks are stale and taken again", async () => {
  const dir = mkdtempSync(path.join(lockDir, 'stale-'));
  const other = await otherProcess(300, { lockDir: dir });
  other.child.kill('SIGKILL');
  await other.exited;
  // Its exit hook never ran: the lock files are still there, naming a process that is gone.
  expect(existsSync(path.join(dir, '127.1.0'))).toBe(true);
  expect(reserve(300, { lockDir: dir })).toEqual(other.addresses);
});

test('a TCP listener binds to reserved addresses and accepts connections there', async () => {
  for (const address of reserve(3)) {
    const server = net.createServer((socket) => socket.end('hello'));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, address, resolve));
    const { port, address: bound } = server.address() as net.AddressInfo;
    expect(bound).toBe(address);
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      net
        .connect({ host: address, port })
        .on('data', (d) => (text += d.toString()))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    expect(reply).toBe('hello');
    await new Promise((r) => server.close(r));
  }
});
