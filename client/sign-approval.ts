import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../config/errors';
import { approvalMessage, APPROVAL_NAMESPACE, type Approver, type SignedDecision } from '../core/approval';
import type { RunProgress } from '../core/progress';
import { equalBytes } from '../core/ssh-wire';
import { parsePublicKey } from '../core/sshsig';

/**
 * Signing a decision on the approver's machine: `ssh-keygen -Y sign -n runway-approval` over the approval message of
 * the gate the run waits at. The key is `--key FILE` (a private key, or a public key whose private half is in the
 * ssh-agent), else the approver's configured key — found in the ssh-agent, then among `~/.ssh/*.pub`.
 */

/** A decision signed for the gate a run waits at: the signature, and the run it is bound to. */
export interface SignedInput {
  signature: string;
  runId: string;
  decision: SignedDecision;
}

/**
 * Signs `by`'s decision when the gate the run waits at requires `by` to sign, or when a key is given; undefined when
 * there is nothing to sign (no key needed, or the run waits at no gate: the run itself then says why it refuses).
 */
export async function signIfNeeded(
  progress: RunProgress | undefined,
  verdict: 'approve' | 'reject',
  by: string,
  reason: string | undefined,
  keyFile: string | undefined,
): Promise<SignedInput | undefined> {
  const awaiting = progress?.awaiting;
  const approver = awaiting?.approvers.find((a) => a.name === by);
  if (!progress || !awaiting || (!approver?.key && !keyFile)) return undefined;
  const decision: SignedDecision = {
    workflowId: progress.workflowId,
    runId: progress.runId,
    gate: awaiting.gate,
    decision: verdict === 'approve' ? 'approved' : 'rejected',
    by,
    ...(reason !== undefined && { reason }),
  };
  const signature = await withSigningKey(approver ?? { name: by }, keyFile, (file) =>
    sshKeygenSign(approvalMessage(decision), file),
  );
  return { signature, runId: progress.runId, decision };
}

/** `ssh-keygen -Y sign` of a message given on stdin: the armored signature. A passphrase is asked on the terminal. */
export function sshKeygenSign(message: string, keyFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-Y', 'sign', '-n', APPROVAL_NAMESPACE, '-f', keyFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new InputError(`cannot run ssh-keygen to sign: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0 && stdout.includes('BEGIN SSH SIGNATURE')) return resolve(stdout);
      const why = stderr.replace(/Signing data on standard input\s*/g, '').trim() || `exit ${code}`;
      reject(new InputError(`ssh-keygen could not sign with ${keyFile}: ${why}`));
    });
    child.stdin.end(message);
  });
}

/** Runs `sign` with the key file to sign with; a public key written for the agent is removed afterwards. */
async function withSigningKey<T>(
  approver: Approver,
  keyFile: string | undefined,
  sign: (file: string) => Promise<T>,
): Promise<T> {
  if (keyFile) {
    if (!existsSync(keyFile)) throw new InputError(`--key ${keyFile}: no such file`);
    return sign(keyFile);
  }
  const expected = parsePublicKey(approver.key!);
  if (await agentHolds(expected.blob)) {
    const dir = await mkdtemp(join(tmpdir(), 'runway-sign-'));
    try {
      const file = join(dir, 'approver.pub');
      await writeFile(file, `${approver.key}\n`);
      return await sign(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const file = await keyFileIn(join(homedir(), '.ssh'), expected.blob);
  if (file) return sign(file);
  throw new InputError(
    `${approver.name}'s decisions are signed with the key ${expected.fingerprint}, which is neither in the ssh-agent ` +
      'nor in ~/.ssh: give --key FILE (the private key, or its .pub when the private half is in the agent)',
  );
}

/** Whether the ssh-agent at $SSH_AUTH_SOCK holds the key (`ssh-add -L`); no agent holds nothing. */
function agentHolds(blob: Uint8Array): Promise<boolean> {
  if (!process.env.SSH_AUTH_SOCK) return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('ssh-add', ['-L'], (err, stdout) => resolve(!err && stdout.split('\n').some((l) => sameKey(l, blob))));
  });
}

/** The private key in `dir` whose `.pub` is the key, if any. */
async function keyFileIn(dir: string, blob: Uint8Array): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.pub')).sort()) {
    const priv = join(dir, name.slice(0, -'.pub'.length));
    const line = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (sameKey(line, blob) && existsSync(priv)) return priv;
  }
  return undefined;
}

function sameKey(line: string, blob: Uint8Array): boolean {
  try {
    return equalBytes(parsePublicKey(line).blob, blob);
  } catch {
    return false;
  }
}
