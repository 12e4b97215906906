import type { SetStatus } from '../../core/backup-status';
import type { DrillRecord } from '../../core/drills';
import { metrics } from '../../workflows/metrics';

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** A set's newest copy and newest verified copy (as timestamps) and its alert thresholds, for Prometheus. */
export function recordSet(
  set: string,
  o: { newest?: string; newestVerified?: string; thresholds?: SetStatus['thresholds'] },
): void {
  const labels = { set };
  if (o.newest) metrics.set('backupNewestCopy', seconds(o.newest), labels);
  if (o.newestVerified) metrics.set('backupNewestVerified', seconds(o.newestVerified), labels);
  if (o.thresholds) {
    metrics.set('backupCopyMaxAge', o.thresholds.copyOlderThanMs / 1000, labels);
    metrics.set('backupVerifiedMaxAge', o.thresholds.verifiedOlderThanMs / 1000, labels);
  }
}

/** A drill's last run: when, passed or not, RTO and RPO against their objectives, and how old it may get. */
export function recordDrill(record: DrillRecord, maxAgeMs?: number): void {
  const labels = { drill: record.drill };
  metrics.set('drillLast', seconds(record.at), labels);
  metrics.set('drillPassed', record.outcome === 'passed' ? 1 : 0, labels);
  if (record.rtoMs !== undefined) metrics.set('drillRto', record.rtoMs / 1000, labels);
  if (record.rpoMs !== undefined) metrics.set('drillRpo', record.rpoMs / 1000, labels);
  if (record.objectives.rtoMs !== undefined) metrics.set('drillRtoObjective', record.objectives.rtoMs / 1000, labels);
  if (record.objectives.rpoMs !== undefined) metrics.set('drillRpoObjective', record.objectives.rpoMs / 1000, labels);
  if (maxAgeMs !== undefined) metrics.set('drillMaxAge', (maxAgeMs * 1.5) / 1000, labels);
}
