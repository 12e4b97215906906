/** A DR drill's record: what the drill log holds, the drill's result, and what `runway drills report` prints. */
export interface DrillRecord {
  at: string;
  drill: string;
  set: string;
  environment: string;
  copy?: string;
  target: string;
  workflowId: string;
  runId: string;
  outcome: 'passed' | 'failed';
  /** Drill start → app healthy. */
  rtoMs?: number;
  /** Drill start − the copy's data timestamp. */
  rpoMs?: number;
  objectives: { rtoMs?: number; rpoMs?: number };
  /** False when RTO or RPO is over its objective. */
  met?: boolean;
  error?: string;
}

/** Whether measured RTO/RPO meet the objectives (an objective not set is met), and the reasons when not. */
export function judgeObjectives(
  measured: { rtoMs?: number; rpoMs?: number },
  objectives: { rtoMs?: number; rpoMs?: number },
): string[] {
  const over: string[] = [];
  if (objectives.rtoMs !== undefined && (measured.rtoMs ?? Infinity) > objectives.rtoMs)
    over.push(`RTO ${formatMs(measured.rtoMs)} is over its objective ${formatMs(objectives.rtoMs)}`);
  if (objectives.rpoMs !== undefined && (measured.rpoMs ?? Infinity) > objectives.rpoMs)
    over.push(`RPO ${formatMs(measured.rpoMs)} is over its objective ${formatMs(objectives.rpoMs)}`);
  return over;
}

/** A duration for people: `850ms`, `12.3s`, `4m05s`, `2h13m`, `3d04h`. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.round(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3_600)).padStart(2, '0')}h`;
}
