import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadedConfig } from '../config';
import type { DrillRecord } from '../core/drills';

/** The drill log's path: absolute, or relative to the config file's dir. */
function logPath(loaded: LoadedConfig): string {
  const file = loaded.config.audit.drills;
  return file.startsWith('/') ? file : `${dirname(loaded.file)}/${file}`;
}

/**
 * The JSON-lines log of DR drills on the worker machine: one line per drill (its RTO and RPO against the objectives,
 * or why it failed), appended with one write so concurrent drills never interleave; read back, newest last.
 */
export function createDrillLog(config: () => LoadedConfig) {
  return {
    async drillLog(record: DrillRecord): Promise<string> {
      const path = logPath(config());
      mkdirSync(dirname(path), { recursive: true });
      // A retry after the line was written (the worker died before reporting it) must not log the drill twice.
      if (!loggedAlready(path, record)) appendFileSync(path, JSON.stringify(record) + '\n', { flag: 'a' });
      return path;
    },

    /** The last `limit` drills (all drills, or one's), oldest first; a missing log is an empty one. */
    async drillHistory({ limit, drill }: { limit: number; drill?: string }): Promise<DrillRecord[]> {
      let text: string;
      try {
        text = readFileSync(logPath(config()), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const records: DrillRecord[] = [];
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          const record = JSON.parse(line) as DrillRecord;
          if (!drill || record.drill === drill) records.push(record);
        } catch {
          // a torn or hand-edited line: skipped, the rest still count
        }
      }
      return limit > 0 ? records.slice(-limit) : [];
    },
  };
}

/** True when the log's last 64 KB already hold this run's record. */
function loggedAlready(path: string, record: DrillRecord): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').includes(`"runId":${JSON.stringify(record.runId)}`);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
