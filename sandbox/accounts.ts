import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** The sandbox hosts' accounts and keys: the login user they share, its access to their dirs, their key pairs. */

/** The login user of sandbox hosts when they are started as root. */
export const SANDBOX_USER = 'runway-sandbox';
const SSHD = '/usr/sbin/sshd';
const MISSING = 'sshd not found: install Debian package openssh-server (apt-get install -y openssh-server)';
const run = promisify(execFile);

/** ssh-keygen's path; throws, saying which package to install, when it or sshd is missing. */
export function keygenPath(): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin'];
  const found = dirs.map((d) => path.join(d, 'ssh-keygen')).find((p) => existsSync(p));
  if (!found || !existsSync(SSHD)) throw new Error(MISSING);
  return found;
}

/** Creates a fresh ed25519 key pair at `file` (ssh-keygen would prompt before overwriting one). */
export async function keygen(
  bin: string,
  file: string,
  comment: string,
): Promise<{ publicKey: string; fingerprint: string }> {
  await Promise.all([rm(file, { force: true }), rm(`${file}.pub`, { force: true })]);
  await run(bin, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const publicKey = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  const { stdout } = await run(bin, ['-lf', `${file}.pub`]);
  return { publicKey, fingerprint: stdout.trim().split(' ')[1] };
}

/** Creates {@link SANDBOX_USER} (system user, `/bin/sh`, home under /var/lib) unless it exists. */
export async function ensureSandboxUser(): Promise<string> {
  const exists = await run('id', ['-u', SANDBOX_USER]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const home = `/var/lib/${SANDBOX_USER}`;
    // Password '*' rather than useradd's '!': sshd (without PAM) refuses a locked account even for key logins.
    const args = [
      '--system',
      '--create-home',
      '--home-dir',
      home,
      '--shell',
      '/bin/sh',
      '--password',
      '*',
      SANDBOX_USER,
    ];
    await run('useradd', args).catch((e: { stderr?: string; message: string }) => {
      // Another process may have created it at the same moment; only a user that is still missing is an error.
      return run('id', ['-u', SANDBOX_USER]).catch(() => {
        throw new Error(`sandbox: cannot create user ${SANDBOX_USER}: ${e.stderr?.trim() || e.message}`);
      });
    });
  }
  return SANDBOX_USER;
}

/**
 * The sandbox user must reach its host dirs: the sandbox dir becomes 0755 and any ancestor lacking it gets o+x
 * (traverse only, nothing listed or read) — mkdtemp makes 0700 dirs.
 */
export async function letTraverse(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (let parent = path.dirname(dir); parent !== path.dirname(parent); parent = path.dirname(parent)) {
    const mode = (await stat(parent)).mode;
    if ((mode & 0o001) === 0) await chmod(parent, (mode & 0o7777) | 0o001);
  }
}
