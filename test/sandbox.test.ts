import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxHost } from '../sandbox/hosts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let sandbox: Sandbox;
let dir: string;

function sshArgs(h: SandboxHost, command: string): string[] {
  // -F /dev/null and IdentitiesOnly keep the machine's own ssh config and agent out of the test.
  const opts = ['-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'GlobalKnownHostsFile=/dev/null'];
  const trust = ['-o', `UserKnownHostsFile=${sandbox.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'];
  const rest = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-i', sandbox.clientKeyFile, '-p', String(h.port)];
  return [...opts, ...trust, ...rest, `${sandbox.user}@${h.address}`, command];
}

function ssh(h: SandboxHost, command = 'echo $RUNWAY_HOST $RUNWAY_HOST_DIR'): Promise<Result> {
  return new Promise((resolve) => {
    execFile('ssh', sshArgs(h, command), (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 255) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Pids of live sshd processes started from this sandbox's configs (zombies have an empty cmdline). */
function sandboxSshds(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join(dir, 'sshd'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'runway-sandbox-'));
  sandbox = await startSandbox({ dir, count: 3, names: ['web-1', 'web-2', 'db-1'] });
});

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('every host answers as itself with its own base dir', async () => {
  // Three consecutive addresses of one reserved /24 block, never the demo's 127.0.0.x.
  const block = sandbox.hosts[0].address.replace(/\.\d+$/, '');
  expect(block).toMatch(/^127\.(?!0\.0$)\d+\.\d+$/);
  expect(sandbox.hosts.map((h) => h.address)).toEqual([1, 2, 3].map((i) => `${block}.${i}`));
  expect(new Set(sandbox.hosts.map((h) => h.fingerprint)).size).toBe(3);
  for (const h of sandbox.hosts) {
    expect(h.publicKey).toMatch(/^ssh-ed25519 \S+$/);
    expect(h.fingerprint).toMatch(/^SHA256:/);
    expect(readdirSync(h.dir)).toEqual([]);
    const r = await ssh(h);
    expect(r).toMatchObject({ code: 0, stdout: `${h.name} ${h.dir}\n` });
  }
});

test('a rotated host key is refused while the other hosts still work', async () => {
  const [web1, web2, db1] = sandbox.hosts;
  const before = web2.fingerprint;
  const rotated = await sandbox.rotateHostKey('web-2');
  expect(rotated.fingerprint).not.toBe(before);
  const r = await ssh(web2);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  expect((await ssh(web1)).code).toBe(0);
  expect((await ssh(db1)).code).toBe(0);
});

test('stopHost drops the host and its open sessions; startHost brings it back', async () => {
  const db1 = sandbox.hosts[2];
  const session = spawn('ssh', sshArgs(db1, 'echo ready; sleep 30'));
  const ended = new Promise<number | null>((r) => session.on('close', r));
  await new Promise((r) => session.stdout.once('data', r));
  const t0 = Date.now();
  await sandbox.stopHost('db-1');
  expect(await ended).not.toBe(0);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect((await ssh(db1)).code).not.toBe(0);
  await sandbox.startHost('db-1');
  expect((await ssh(db1)).stdout).toBe(`db-1 ${db1.dir}\n`);
});

test('stop() leaves no sshd running and is idempotent', async () => {
  expect(sandboxSshds()).toHaveLength(3);
  await sandbox.stop();
  await sandbox.stop();
  expect(sandboxSshds()).toEqual([]);
  for (const h of sandbox.hosts) expect((await ssh(h)).code).toBe(255);
});
