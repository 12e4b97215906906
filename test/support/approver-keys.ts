import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real key pair made by ssh-keygen: the private key file and the public key line. */
export interface ApproverKey {
  file: string;
  publicKey: string;
}

/** A dir of ssh-keygen keys (no passphrase), one per name. */
export function makeKeys(names: string[], type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Record<string, ApproverKey> {
  const dir = mkdtempSync(join(tmpdir(), 'runway-approver-keys-'));
  const extra = type === 'ecdsa' ? ['-b', '256'] : type === 'rsa' ? ['-b', '2048'] : [];
  return Object.fromEntries(
    names.map((name) => {
      const file = join(dir, name);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', `${name}@test`, '-f', file]);
      return [name, { file, publicKey: readFileSync(`${file}.pub`, 'utf8').trim() }];
    }),
  );
}

/** `ssh-keygen -Y sign` of `message` (piped on stdin) with a key file: the armored signature. */
export function sshSign(file: string, message: string, namespace: string, hashalg?: 'sha256' | 'sha512'): string {
  const options = hashalg ? ['-O', `hashalg=${hashalg}`] : [];
  return execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', file, ...options], {
    input: message,
    encoding: 'utf8',
  });
}

/** `ssh-keygen -l`'s SHA256 fingerprint of a key file. */
export function sshFingerprint(file: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1];
}
