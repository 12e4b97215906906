import { recordDrill, recordSet } from './backup/metrics';
import { BackupStatusInputSchema, type BackupStatusInput } from '../config/inputs';
import { drillProblems, setProblems, type BackupStatusReport, type SetStatus } from '../core/backup-status';
import { describeError } from '../core/failures';
import { defineRunbook, runbook } from '../workflows';
import { records } from '../workflows/proxies';
import { elapsed, now } from '../workflows/time';
import { listCopies } from './backup/copies';
import type { Manifest } from './backup/manifest';

/**
 * Reads, changes nothing: for every set (or the named ones) the age of its newest copy and of its newest verified
 * copy against the set's alert thresholds, and the last drills from the drill log against their objectives. The
 * report is the run's result; `runway backups status` prints it and exits non-zero when anything is broken.
 */
export const backupStatus = defineRunbook(
  {
    description: 'report the age of each set’s newest and newest verified copy, and the last drills',
    input: BackupStatusInputSchema,
  },
  async function backupStatus(input) {
    return runbook<BackupStatusInput>('backupStatus', input, async (rb) => {
      const at = now();
      const summary = (c: Manifest | undefined, when?: string) =>
        c && { id: c.id, createdAt: when ?? c.createdAt, ageMs: elapsed(when ?? c.createdAt, at) };
      const sets: SetStatus[] = await Promise.all(
        (rb.plan.backups ?? []).map(async (set) => {
          const base = {
            name: set.name,
            environment: set.environment,
            host: set.host.name,
            copies: 0,
            thresholds: {
              copyOlderThanMs: set.config.alert.copyOlderThan,
              verifiedOlderThanMs: set.config.alert.verifiedOlderThan,
            },
          };
          try {
            const copies = await rb.step(`list ${set.name}`, () => listCopies(rb, set));
            const verified = copies.find((c) => c.verified);
            const status = {
              ...base,
              copies: copies.length,
              newest: summary(copies[0]),
              newestVerified: summary(verified),
            };
            return { ...status, problems: setProblems(status) };
          } catch (err) {
            return {
              ...base,
              problems: [`${set.name}: cannot list copies on ${set.host.name}: ${describeError(err)}`],
            };
          }
        }),
      );
      const chosen = new Set((rb.plan.backups ?? []).map((s) => s.name));
      const drills = (
        await records.drillHistory.executeWithOptions({ summary: 'drill log: last drills' }, [
          { limit: rb.input.drills },
        ])
      ).filter((d) => !rb.input.sets?.length || chosen.has(d.set));
      for (const s of sets) {
        recordSet(s.name, {
          newest: s.newest?.createdAt,
          newestVerified: s.newestVerified?.createdAt,
          thresholds: s.thresholds,
        });
      }
      const last = new Map(drills.map((d) => [d.drill, d]));
      for (const d of last.values()) recordDrill(d, rb.plan.drillIntervals?.[d.drill]);
      const problems = [...sets.flatMap((s) => s.problems), ...drillProblems(drills)];
      const report: BackupStatusReport = { at, sets, drills, problems, ok: problems.length === 0 };
      rb.result(report as unknown as Record<string, unknown>);
    });
  },
);
