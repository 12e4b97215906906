/** What `runway backups status` reports, computed by the `backupStatus` runbook. Pure. */
import type { DrillRecord } from './drills';
import { formatMs, judgeObjectives } from './drills';

export interface CopySummary {
  id: string;
  createdAt: string;
  ageMs: number;
}

export interface SetStatus {
  name: string;
  environment: string;
  host: string;
  copies: number;
  newest?: CopySummary;
  newestVerified?: CopySummary;
  thresholds: { copyOlderThanMs: number; verifiedOlderThanMs: number };
  /** Why this set is not healthy; empty when it is. */
  problems: string[];
}

export interface BackupStatusReport {
  at: string;
  sets: SetStatus[];
  /** The last drills from the drill log, oldest first. */
  drills: DrillRecord[];
  /** Every problem of every set and of each drill's last run. */
  problems: string[];
  ok: boolean;
}

/** The problems of one set: no copy, no verified copy, or either too old. */
export function setProblems(s: Omit<SetStatus, 'problems'>): string[] {
  const problems: string[] = [];
  const { copyOlderThanMs, verifiedOlderThanMs } = s.thresholds;
  if (!s.newest) problems.push(`${s.name}: no copy`);
  else if (s.newest.ageMs > copyOlderThanMs)
    problems.push(`${s.name}: newest copy is ${formatMs(s.newest.ageMs)} old (limit ${formatMs(copyOlderThanMs)})`);
  if (!s.newestVerified) problems.push(`${s.name}: no copy has passed a restore test`);
  else if (s.newestVerified.ageMs > verifiedOlderThanMs) {
    problems.push(
      `${s.name}: newest verified copy is ${formatMs(s.newestVerified.ageMs)} old (limit ${formatMs(verifiedOlderThanMs)})`,
    );
  }
  return problems;
}

/** The problems of each drill's last run: failed, or over its objectives. */
export function drillProblems(drills: DrillRecord[]): string[] {
  const last = new Map<string, DrillRecord>();
  for (const d of drills) last.set(d.drill, d);
  const problems: string[] = [];
  for (const d of last.values()) {
    if (d.outcome === 'failed') problems.push(`drill ${d.drill}: last run failed: ${d.error ?? 'unknown error'}`);
    else for (const over of judgeObjectives(d, d.objectives)) problems.push(`drill ${d.drill}: ${over}`);
  }
  return problems;
}

/** `runway backups status` as text: a table of sets, one of each drill's last run, and the verdict. */
export function statusLines(report: BackupStatusReport): string[] {
  const rows = report.sets.map((s) => [
    s.name,
    `${s.environment}/${s.host}`,
    String(s.copies),
    s.newest ? formatMs(s.newest.ageMs) : 'none',
    s.newestVerified ? formatMs(s.newestVerified.ageMs) : 'none',
  ]);
  const lines = table([['SET', 'WHERE', 'COPIES', 'NEWEST', 'NEWEST VERIFIED'], ...rows]);
  const last = new Map(report.drills.map((d) => [d.drill, d]));
  if (last.size)
    lines.push('', ...table([['DRILL', 'LAST RUN', 'OUTCOME', 'RTO', 'RPO'], ...[...last.values()].map(drillRow)]));
  if (report.ok) lines.push('all backups and drills within their thresholds');
  return lines;
}

/** `runway drills report` as text: one line per drill, oldest first. */
export function drillLines(drills: DrillRecord[]): string[] {
  if (drills.length === 0) return ['no drill has run yet'];
  return table([
    ['DRILL', 'WHEN', 'OUTCOME', 'RTO / OBJECTIVE', 'RPO / OBJECTIVE', 'COPY'],
    ...drills.map((d) => [...drillRow(d), d.copy ?? '—']),
  ]);
}

function drillRow(d: DrillRecord): string[] {
  const vs = (ms: number | undefined, objective: number | undefined) =>
    `${formatMs(ms)}${objective === undefined ? '' : ` / ${formatMs(objective)}`}`;
  const outcome =
    d.outcome === 'failed' ? `failed: ${d.error ?? ''}`.slice(0, 60) : d.met === false ? 'over objective' : 'passed';
  return [
    d.drill,
    d.at.replace(/\.\d+Z$/, 'Z'),
    outcome,
    vs(d.rtoMs, d.objectives.rtoMs),
    vs(d.rpoMs, d.objectives.rpoMs),
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}
