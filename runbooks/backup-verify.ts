import { recordSet } from './backup/metrics';
import { workflowInfo } from '@temporalio/workflow';
import { BackupVerifyInputSchema, type BackupVerifyInput } from '../config/inputs';
import { checkFailed } from '../core/failures';
import { defineRunbook, runbook } from '../workflows';
import { elapsed, now } from '../workflows/time';
import { copyPath, listCopiesWithKey, pickCopy, requireKey, writeManifest, onHost } from './backup/copies';
import { kindOf, setSecrets, type RestoreTarget } from './backup/kinds';
import { scratchDatabase, type Manifest } from './backup/manifest';
import { checkOutputs } from './backup/scripts';

/**
 * Proves a copy restores: its checksum (and key) against the manifest, `pg_restore --list`, a restore into a scratch
 * database named for this run, the row counts against the manifest, the expected tables and the set's own queries —
 * then marks the copy verified. The scratch database (or dir) is dropped whatever happens: after the checks, by the
 * undo on failure or cancellation, and by the resumed run after a worker crash.
 */
export const backupVerify = defineRunbook(
  {
    description: 'restore-test a copy of a backup set in a scratch database and mark it verified',
    input: BackupVerifyInputSchema,
  },
  async function backupVerify(input) {
    return runbook<BackupVerifyInput>('backupVerify', input, async (rb) => {
      const set = rb.plan.backup!;
      const kind = kindOf(set);
      const secrets = setSecrets(set);
      const { runId, workflowId } = workflowInfo();
      if (rb.input.actor) rb.label('actor', rb.input.actor);
      const started = now();

      const { copies, keyCheck } = await rb.step('find the copy', () => listCopiesWithKey(rb, set, secrets));
      const copy = pickCopy(set, copies, rb.input.copy);
      requireKey(set, copy, keyCheck);
      const path = copyPath(set, copy);
      rb.result({ set: set.name, copy: copy.id });

      const scratch = scratchDatabase(runId);
      const into: RestoreTarget =
        set.config.kind === 'postgres'
          ? { database: scratch, work: `${set.dir}/.${scratch}` }
          : { dir: `${set.dir}/.${scratch}`, work: `${set.dir}/.${scratch}.work` };
      const where = into.database ? `scratch database ${into.database}` : `scratch dir ${into.dir}`;
      const discard = kind.discard(set, into);
      const checks = kind.checks(set, copy, into);

      // One command: the checksum (and key) against the manifest, the restore, every check, and — however the script
      // ends — the scratch restore dropped. The teardown before it drops it too, should the script never get there.
      await rb.teardown(`drop ${where} if the run stops`, () => onHost(rb, set.host, discard, secrets));
      const tested = await rb.step(`restore-test ${copy.id} in ${where}`, () =>
        onHost(
          rb,
          set.host,
          kind.restore(set, path, copy, into, {
            check: { id: copy.id, sha256: copy.sha256, bytes: copy.bytes, keyCheck: copy.encryption?.keyCheck },
            checks: checks.map((c) => c.script),
            discard: discard.split('\n'),
          }),
          secrets,
        ),
      );
      rb.release();
      const restored = kind.parseRestore(tested.stdout);
      const outputs = checkOutputs(tested.stdout);
      const results = checks.map((check, i) => {
        const output = outputs[i];
        const problem = !output
          ? `${check.name}: did not run`
          : output.exitCode !== 0
            ? `${check.name} failed: ${output.error ?? `exit ${output.exitCode}`}`
            : check.judge(output.stdout, restored);
        return { check: check.name, ok: !problem, problem };
      });
      rb.result({ checks: results.map((r) => `${r.ok ? '✓' : '✗'} ${r.check}`).join(', ') });
      const failed = results.filter((r) => r.problem).map((r) => r.problem);
      if (failed.length) throw checkFailed('VerificationFailed', `${copy.id}: ${failed.join('; ')}`);

      const verified: Manifest = { ...copy, verified: { at: now(), workflowId, runId, durationMs: elapsed(started) } };
      await rb.step(`mark ${copy.id} verified`, async () => {
        await writeManifest(rb, set.host, set.dir, verified);
        if (set.copyTo && copy.copies?.length) await writeManifest(rb, set.copyTo.host, set.copyTo.dir, verified);
      });
      recordSet(set.name, { newestVerified: copy.createdAt });
      rb.result({
        verified: true,
        durationMs: verified.verified!.durationMs,
        dataTimestamp: copy.dataTimestamp,
        tables: restored.tables?.length,
        files: restored.files,
      });
      rb.notify(`✅ ${set.name}: copy ${copy.id} restored and checked in ${verified.verified!.durationMs} ms`);
    });
  },
);
