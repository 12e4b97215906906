import { BackupInputSchema, type BackupInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';
import { invalidInput } from '../core/failures';
import { workflowInfo } from '@temporalio/workflow';
import { onHost, writeManifest } from './backup/copies';
import { kindOf, setSecrets } from './backup/kinds';
import { CIPHER, copyFileName, copyId, MANIFEST_FORMAT, parseManifests, type Manifest } from './backup/manifest';
import { copiesToDelete } from './backup/rotation';
import { recordSet } from './backup/metrics';
import { discardCopyScript, listScript, marks, rotateScript } from './backup/scripts';

/**
 * Takes a copy of a backup set: checked first (dir writable, database reachable), written under a temporary name,
 * synced and renamed, its manifest beside it (sha256, size, rows per table, the data's own timestamp), encrypted
 * when configured, copied off-host and checked there by sha256. Only then are old copies rotated — never the newest
 * verified one. A failure removes what this run wrote and nothing else.
 */
export const backup = defineRunbook(
  {
    description: 'take a copy of a backup set, with its manifest, off-host copy and rotation',
    input: BackupInputSchema,
  },
  async function backup(input) {
    return runbook<BackupInput>('backup', input, async (rb) => {
      const set = rb.plan.backup!;
      const kind = kindOf(set);
      const secrets = setSecrets(set);
      const encrypted = Boolean(set.config.encryption);
      const { runId, workflowId, startTime } = workflowInfo();
      const id = copyId(set.name, startTime.toISOString(), runId);
      const file = copyFileName(id, set.config.kind, encrypted);
      if (rb.input.actor) rb.label('actor', rb.input.actor);

      // One command checks the dir (and database) and lists the copies already there.
      const checked = await rb.step(`check ${set.host.name}:${set.dir}`, () =>
        onHost(rb, set.host, `${kind.preflight(set)}\n${listScript(set.dir)}`, secrets),
      );
      const keyCheck = marks(checked.stdout, 'keycheck')[0];
      const earlier = parseManifests(checked.stdout);
      // A copy about the size of the last one must fit, twice over while it is encrypted.
      const last = earlier[0];
      const free = Number(marks(checked.stdout, 'free')[0] ?? NaN) * 1024;
      const needed = last ? Math.ceil(last.bytes * (encrypted ? 2.2 : 1.2)) : 0;
      if (free < needed) {
        throw invalidInput(
          `${set.host.name}: the backup dir ${set.dir} has ${free} bytes free; the last copy of ${set.name} took ${last!.bytes}`,
        );
      }

      const taken = await rb.step(
        `${set.config.kind === 'postgres' ? 'dump' : 'archive'} ${set.name} on ${set.host.name}`,
        () => onHost(rb, set.host, kind.take(set, id, file), secrets),
        { undo: () => rb.on(set.host).run(discardCopyScript(set.dir, id, file)), undoOnFailure: true },
      );
      const [sha256, bytes] = (marks(taken.stdout, 'file')[0] ?? '').split(' ');
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        set: set.name,
        kind: set.config.kind,
        id,
        file,
        createdAt: new Date().toISOString(),
        ...kind.parseTake(taken.stdout),
        sha256,
        bytes: Number(bytes),
        ...(encrypted && { encryption: { cipher: CIPHER, keyCheck } }),
        workflowId,
        runId,
      };
      const sums = set.config.kind === 'files' ? [`${id}.sha256sums`] : [];

      if (set.copyTo) {
        const to = set.copyTo;
        manifest.copies = [{ host: to.host.name, path: `${to.dir}/${file}` }];
        await rb.step(
          `copy to ${to.host.name}`,
          async () => {
            await rb.on(to.host).$`mkdir -p ${to.dir}`;
            for (const name of [file, ...sums]) {
              const sha = name === file ? sha256 : undefined;
              await rb.transfer(set.host, `${set.dir}/${name}`, to.host, `${to.dir}/${name}`, sha);
            }
            await writeManifest(rb, to.host, to.dir, manifest);
          },
          { undo: () => rb.on(to.host).run(discardCopyScript(to.dir, id, file)), undoOnFailure: true },
        );
      }

      // The manifest makes the copy visible; in the same command, rotation removes what the policy lets go.
      const doomed = copiesToDelete([manifest, ...earlier], set.config.keep, manifest.createdAt, id);
      const deleted = doomed.map((c) => c.id);
      await rb.step(doomed.length ? `write manifest, rotate ${doomed.length}` : 'write manifest', () =>
        rb.on(set.host).run(rotateScript(set.dir, manifest, doomed)),
      );
      if (set.copyTo && doomed.length) {
        const to = set.copyTo;
        await rb.step(`rotate on ${to.host.name}`, () => rb.on(to.host).run(rotateScript(to.dir, undefined, doomed)));
      }

      recordSet(set.name, {
        newest: manifest.createdAt,
        thresholds: {
          copyOlderThanMs: set.config.alert.copyOlderThan,
          verifiedOlderThanMs: set.config.alert.verifiedOlderThan,
        },
      });
      rb.result({
        set: set.name,
        copy: id,
        file: `${set.host.name}:${set.dir}/${file}`,
        bytes: manifest.bytes,
        sha256,
        dataTimestamp: manifest.dataTimestamp,
        tables: manifest.tables ? Object.keys(manifest.tables).length : undefined,
        files: manifest.files,
        offHost: manifest.copies?.[0] && `${manifest.copies[0].host}:${manifest.copies[0].path}`,
        rotated: deleted,
      });
      rb.notify(
        `💾 ${set.name}: copy ${id} (${manifest.bytes} bytes)${deleted.length ? `, rotated ${deleted.length}` : ''}`,
      );
    });
  },
);
