import { checkFailed, FailureType, invalidInput } from '../../core/failures';
import { ApplicationFailure } from '@temporalio/workflow';
import type { SecretRef } from '../../config/secret';
import type { BackupPlan, ExecResult, HostRef } from '../../core/plan';
import type { Runbook } from '../../workflows';
import { parseManifests, type Manifest } from './manifest';
import { CHECK_FAILED, keyCheckLine, listScript, marks, reason, REFUSED, writeManifestScript } from './scripts';

/** The copies of a set on its host, newest first (from their manifests). */
export async function listCopies(rb: Runbook<unknown>, set: BackupPlan): Promise<Manifest[]> {
  const result = await rb.on(set.host).run(listScript(set.dir));
  return parseManifests(result.stdout);
}

/**
 * The copies of a set, and — for an encrypted set — the key check of the key at hand, so a copy made with another key
 * is refused before anything is restored (one command either way).
 */
export async function listCopiesWithKey(
  rb: Runbook<unknown>,
  set: BackupPlan,
  secrets: Record<string, SecretRef>,
): Promise<{ copies: Manifest[]; keyCheck?: string }> {
  if (!set.config.encryption) return { copies: await listCopies(rb, set) };
  const result = await onHost(rb, set.host, `${listScript(set.dir)}\n${keyCheckLine()}`, secrets);
  return { copies: parseManifests(result.stdout), keyCheck: marks(result.stdout, 'keycheck')[0] };
}

/** Refuses a copy made with another key than the one at hand: one line, before anything changes. */
export function requireKey(set: BackupPlan, copy: Manifest, keyCheck: string | undefined): void {
  if (copy.encryption && keyCheck !== copy.encryption.keyCheck) {
    throw invalidInput(
      `${set.host.name}: copy ${copy.id} was encrypted with another key (key check differs): wrong encryption key`,
    );
  }
}

/** A copy by id, or the newest (verified, when asked); one clear line when there is none. */
export function pickCopy(set: BackupPlan, copies: Manifest[], id?: string, verifiedOnly = false): Manifest {
  if (id) {
    const found = copies.find((c) => c.id === id);
    if (!found) throw invalidInput(`backup set ${set.name} has no copy ${id} in ${set.host.name}:${set.dir}`);
    if (verifiedOnly && !found.verified) throw invalidInput(`copy ${id} of ${set.name} has not passed a restore test`);
    return found;
  }
  const found = verifiedOnly ? copies.find((c) => c.verified) : copies[0];
  if (!found) {
    throw invalidInput(
      `backup set ${set.name} has no ${verifiedOnly ? 'verified ' : ''}copy in ${set.host.name}:${set.dir}` +
        (verifiedOnly ? ' (run backupVerify first)' : ''),
    );
  }
  return found;
}

/** The path of a copy's file on the set's host. */
export function copyPath(set: BackupPlan, copy: Manifest): string {
  return `${set.dir}/${copy.file}`;
}

/** Writes a manifest on a host, atomically. */
export function writeManifest(rb: Runbook<unknown>, host: HostRef, dir: string, manifest: Manifest) {
  return rb.on(host).run(writeManifestScript(dir, manifest.id, JSON.stringify(manifest)));
}

/**
 * Runs one of the backup scripts on a host and turns how it ended into the run's words: a refusal (bad input, an unfit
 * host — nothing changed) is invalid input, a failed check is a verification failure, anything else a failed command;
 * each names the host and the script's own `runway:` reason.
 */
export async function onHost(
  rb: Runbook<unknown>,
  host: HostRef,
  script: string,
  secrets?: Record<string, SecretRef>,
): Promise<ExecResult> {
  const result = await rb.on(host).run(script).env(secrets).nothrow();
  if (result.exitCode === 0) return result;
  const why = reason(result.stderr) ?? `exited ${result.exitCode}: ${result.stderr.trim().split('\n').pop() ?? ''}`;
  const message = `${host.name}: ${why}`;
  if (result.exitCode === REFUSED) throw invalidInput(message);
  if (result.exitCode === CHECK_FAILED) throw checkFailed('VerificationFailed', message);
  throw ApplicationFailure.create({ type: FailureType.CommandFailed, message, nonRetryable: true });
}
