import type { BackupPlan } from '../../../core/plan';
import type { PostgresSetConfig } from '../../../config/backups';
import {
  countAllRowsScript,
  dropDatabaseScript,
  listTablesScript,
  marks,
  pgDumpScript,
  pgRestoreScript,
  preflightScript,
  queryScript,
  type PgTarget,
} from '../scripts';
import type { BackupKind, Check, Restored, RestoreTarget } from './index';

function config(set: BackupPlan): PostgresSetConfig {
  return set.config as PostgresSetConfig;
}

/** How a set's database is reached: its connection's socket dir or host, port and user. */
export function pgTarget(set: BackupPlan): PgTarget {
  const { host, port, user } = config(set).connection;
  return { host, port, user };
}

/** A PostgreSQL database: `pg_dump -Fc` inside an exported snapshot, restored with `pg_restore`. */
export const postgres: BackupKind = {
  preflight(set) {
    const c = config(set);
    return preflightScript({ dir: set.dir, database: c.database, pg: pgTarget(set), encrypted: Boolean(c.encryption) });
  },

  take(set, id, file) {
    const c = config(set);
    return pgDumpScript({
      dir: set.dir,
      id,
      file,
      database: c.database,
      pg: pgTarget(set),
      options: c.dumpOptions,
      encrypted: Boolean(c.encryption),
    });
  },

  parseTake(stdout) {
    const [timestamp, version] = (marks(stdout, 'snapshot')[0] ?? '').split('|');
    const tables: Record<string, number> = {};
    for (const line of marks(stdout, 'rows')) {
      const at = line.lastIndexOf('|');
      tables[line.slice(0, at)] = Number(line.slice(at + 1));
    }
    return { dataTimestamp: timestamp, serverVersion: version, tables };
  },

  restore(set, path, copy, into, extras) {
    return pgRestoreScript({
      path,
      database: into.database!,
      via: into.via ?? config(set).database,
      pg: pgTarget(set),
      work: into.work,
      encrypted: Boolean(copy.encryption),
      extras,
    });
  },

  parseRestore(stdout): Restored {
    return { tables: marks(stdout, 'table') };
  },

  discard(set, into) {
    return dropDatabaseScript({
      database: into.database!,
      via: into.via ?? config(set).database,
      pg: pgTarget(set),
      work: into.work,
    });
  },

  checks(set, copy, into) {
    const c = config(set);
    const pg = pgTarget(set);
    const database = into.database!;
    const checks: Check[] = [
      {
        name: 'row counts',
        script: countAllRowsScript({ database, pg }),
        // Only tables the copy holds data for (dump options may leave some out) that the manifest counted.
        judge(stdout, restored) {
          const got = new Map(
            marks(stdout, 'rows').map((l) => [l.slice(0, l.lastIndexOf('|')), Number(l.slice(l.lastIndexOf('|') + 1))]),
          );
          const counted = (restored.tables ?? []).filter((t) => copy.tables?.[t] !== undefined);
          const wrong = counted.filter((t) => got.get(t) !== copy.tables![t]);
          if (wrong.length === 0) return undefined;
          return `row counts differ from the manifest: ${wrong
            .slice(0, 5)
            .map((t) => `${t} has ${got.get(t) ?? 'no count'}, manifest ${copy.tables![t]}`)
            .join('; ')}`;
        },
      },
    ];
    if (c.verify.tables.length > 0) {
      checks.push({
        name: 'expected tables',
        script: listTablesScript({ database, pg }),
        judge(stdout) {
          const present = new Set(marks(stdout, 'table'));
          const missing = c.verify.tables.filter((t) => !present.has(t.includes('.') ? t : `public.${t}`));
          return missing.length ? `expected tables missing from the restored copy: ${missing.join(', ')}` : undefined;
        },
      });
    }
    for (const query of c.verify.queries) {
      checks.push({
        name: `query "${query.name}"`,
        script: queryScript({ database, pg, sql: query.sql }),
        judge(stdout) {
          const got = stdout.trim();
          return got === query.expect.trim()
            ? undefined
            : `verification query "${query.name}" returned ${JSON.stringify(got.slice(0, 200))}, expected ${JSON.stringify(query.expect)}`;
        },
      });
    }
    return checks;
  },
};

export type { RestoreTarget };
