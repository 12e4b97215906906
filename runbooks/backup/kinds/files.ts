import type { BackupPlan } from '../../../core/plan';
import type { FilesSetConfig } from '../../../config/backups';
import { filesArchiveScript, filesRestoreScript, marks, preflightScript, removeDirScript } from '../scripts';
import type { BackupKind } from './index';

function config(set: BackupPlan): FilesSetConfig {
  return set.config as FilesSetConfig;
}

/** Files and directories (application files, configs, certificates): a tar archive with every file's sha256. */
export const files: BackupKind = {
  preflight(set) {
    return preflightScript({ dir: set.dir, encrypted: Boolean(set.config.encryption) });
  },

  take(set, id, file) {
    const c = config(set);
    return filesArchiveScript({
      dir: set.dir,
      id,
      file,
      base: set.host.dir,
      paths: c.paths,
      exclude: c.exclude,
      encrypted: Boolean(c.encryption),
    });
  },

  parseTake(stdout) {
    const [timestamp] = (marks(stdout, 'snapshot')[0] ?? '').split('|');
    return { dataTimestamp: timestamp, files: Number(marks(stdout, 'count')[0] ?? 0) };
  },

  restore(_set, path, copy, into, extras) {
    return filesRestoreScript({
      path,
      sums: path.replace(/[^/]*$/, `${copy.id}.sha256sums`),
      into: into.dir!,
      work: into.work,
      encrypted: Boolean(copy.encryption),
      extras,
    });
  },

  parseRestore(stdout) {
    return { files: Number(marks(stdout, 'checked')[0] ?? 0) };
  },

  discard(_set, into) {
    return removeDirScript(into.dir!, into.work);
  },

  // The restore itself checks every file against the sums listed when the copy was made.
  checks() {
    return [];
  },
};
