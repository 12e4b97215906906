import { workflowInfo } from '@temporalio/workflow';
import { BackupVerifyInputSchema, type BackupVerifyInput } from '../config/inputs';
import { checkFailed } from '../core/failures';
import { defineRunbook, runbook } from '../workflows';
import { elapsed, now } from '../workflows/time';
import { copyPath, listCopies, pickCopy, writeManifest, onHost } from './backup/copies';
import { kindOf, setSecrets, type RestoreTarget } from './backup/kinds';
import { scratchDatabase, type Manifest } from './backup/manifest';
import { checkCopyScript } from './backup/scripts';

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

      const copies = await rb.step('find the copy', () => listCopies(rb, set));
      const copy = pickCopy(set, copies, rb.input.copy);
      const path = copyPath(set, copy);
      rb.result({ set: set.name, copy: copy.id });

      await rb.step(`checksum ${copy.id}`, () =>
        onHost(
          rb,
          set.host,
          checkCopyScript({
            path,
            id: copy.id,
            sha256: copy.sha256,
            bytes: copy.bytes,
            keyCheck: copy.encryption?.keyCheck,
          }),
          secrets,
        ),
      );

      const scratch = scratchDatabase(runId);
      const into: RestoreTarget =
        set.config.kind === 'postgres'
          ? { database: scratch, work: `${set.dir}/.${scratch}` }
          : { dir: `${set.dir}/.${scratch}`, work: `${set.dir}/.${scratch}.work` };
      const where = into.database ? `scratch database ${into.database}` : `scratch dir ${into.dir}`;
      const discard = () => onHost(rb, set.host, kind.discard(set, into), secrets);

      const restoredOut = await rb.step(
        `restore into ${where}`,
        () => onHost(rb, set.host, kind.restore(set, path, copy, into), secrets),
        { undo: discard, undoOnFailure: true },
      );
      const restored = kind.parseRestore(restoredOut.stdout);

      for (const check of kind.checks(set, copy, restored, into)) {
        await rb.step(`check ${check.name}`, async () => {
          const result = await onHost(rb, set.host, check.script, secrets);
          const problem = check.judge(result.stdout);
          if (problem) throw checkFailed('VerificationFailed', `${copy.id}: ${problem}`);
        });
      }

      await rb.step(`drop ${where}`, discard);
      rb.release();

      const verified: Manifest = { ...copy, verified: { at: now(), workflowId, runId, durationMs: elapsed(started) } };
      await rb.step(`mark ${copy.id} verified`, async () => {
        await writeManifest(rb, set.host, set.dir, verified);
        if (set.copyTo && copy.copies?.length) await writeManifest(rb, set.copyTo.host, set.copyTo.dir, verified);
      });
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
