/**
 * `runway runs`: the visibility query for Runway's runs with the operator's filters, and one line per run. Pure: the
 * client lists, this decides what to ask and how it reads.
 */

/** The filters of `runway runs`; each is a name (validated) or a time. */
export interface RunsFilter {
  service?: string;
  environment?: string;
  runbook?: string;
  /** A run status as Runway names it: running, succeeded, failed, rollback-incomplete, awaiting-approval… */
  status?: string;
  /** Runs started at or after this time. */
  since?: Date;
}

/** One run as `runway runs` shows it. */
export interface RunRow {
  workflowId: string;
  runId: string;
  startedAt: string;
  endedAt?: string;
  runbook: string;
  service?: string;
  version?: string;
  environment?: string;
  actor?: string;
  /** Runway's status (RunwayStatus): the outcome of an ended run, the state of a running one. */
  status: string;
  durationMs?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** The list query: Runway's runs only (they carry RunwayRunbook), narrowed by each filter given. */
export function runsQuery(filter: RunsFilter): string {
  const clauses = ['RunwayRunbook IS NOT NULL'];
  const add = (attribute: string, flag: string, value: string | undefined) => {
    if (value === undefined) return;
    if (!NAME.test(value)) throw new Error(`--${flag}: ${JSON.stringify(value)} is not a name`);
    clauses.push(`${attribute} = "${value}"`);
  };
  add('RunwayService', 'service', filter.service);
  add('RunwayEnvironment', 'environment', filter.environment);
  add('RunwayRunbook', 'runbook', filter.runbook);
  add('RunwayStatus', 'status', filter.status);
  if (filter.since) clauses.push(`StartTime >= "${filter.since.toISOString()}"`);
  return clauses.join(' AND ');
}

/** A duration as people read it: 850ms, 12.4s, 3m05s, 2h10m. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The table `runway runs` prints: a header, then one aligned line per run, newest first. */
export function runLines(rows: RunRow[]): string[] {
  const table = [['STARTED', 'RUNBOOK', 'SERVICE', 'VERSION', 'ENVIRONMENT', 'ACTOR', 'OUTCOME', 'DURATION', 'ID']];
  for (const r of rows) {
    table.push([
      r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      r.runbook,
      r.service ?? '—',
      r.version ?? '—',
      r.environment ?? '—',
      r.actor ?? '—',
      r.status,
      r.durationMs === undefined ? '—' : shortDuration(r.durationMs),
      r.workflowId,
    ]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}
