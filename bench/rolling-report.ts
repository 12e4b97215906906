import type { WorkflowHandle } from '@temporalio/client';
import type { RunReport } from '../core/progress';
import { median } from './report';

/** Who deployed: Runway, or Ansible without (`cold`) or with (`warm`) its ssh masters already open. */
export type Tool = 'runway' | 'ansible-cold' | 'ansible-warm';

/** One timed deploy; Runway's also carry the time spent inside its activities, estimated two ways. */
export interface Timed {
  tool: Tool;
  hosts: number;
  round: number;
  version: string;
  seconds: number;
  /** Σ over steps of the max over hosts of the report's `durationMs` (what the report shows). */
  activitySecondsReport?: number;
  /** Time at least one activity ran, from the workflow history (uploads and health probes included). */
  activitySecondsHistory?: number;
  activities?: number;
}

/** Remote operations per web host both tools perform: upload, unpack, switch + stop + start, health check. */
export const STEPS_PER_WEB_HOST = 4;
/** Per batch on the LB host: take the batch out of the upstream, put it back (each: write, test, reload). */
export const STEPS_PER_BATCH = 2;

/** Host steps of one deploy to `hosts` web hosts in `batches` batches. */
export function hostSteps(hosts: number, batches: number): number {
  return hosts * STEPS_PER_WEB_HOST + batches * STEPS_PER_BATCH;
}

/** Time inside activities on the critical path, from the report: hosts run in parallel within a step. */
export function reportActivitySeconds(report: RunReport): number {
  const perStep = report.steps.map((s) => Math.max(0, ...Object.values(s.hosts).map((h) => h.durationMs ?? 0)));
  return perStep.reduce((a, b) => a + b, 0) / 1000;
}

/** One event of a workflow history, as the client fetches it. */
export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const ms = (e: HistoryEvent) => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
const startedIdOfEnd = (e: HistoryEvent) =>
  (
    e.activityTaskCompletedEventAttributes ??
    e.activityTaskFailedEventAttributes ??
    e.activityTaskTimedOutEventAttributes ??
    e.activityTaskCanceledEventAttributes
  )?.startedEventId;

/** The intervals (ms since the epoch) during which each activity of one history ran, started → ended. */
export function activitySpans(events: HistoryEvent[]): Array<[number, number]> {
  const started = new Map(
    events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => [String(e.eventId), e]),
  );
  return events.flatMap((e): Array<[number, number]> => {
    const id = startedIdOfEnd(e);
    const start = id === undefined || id === null ? undefined : started.get(String(id));
    return start ? [[ms(start), ms(e)]] : [];
  });
}

/** The length of the union of `spans` (ms), in seconds. */
export function unionSeconds(spans: Array<[number, number]>): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [from, to] of sorted) {
    if (current && from <= current[1]) current[1] = Math.max(current[1], to);
    else {
      if (current) total += current[1] - current[0];
      current = [from, to];
    }
  }
  if (current) total += current[1] - current[0];
  return total / 1000;
}

/** One size's medians, ratios and Runway's orchestration overhead per host step (ms), both estimates. */
export interface SizeResult {
  hosts: number;
  batches: number;
  /** Hosts in a (full) batch. */
  batchHosts: number;
  hostSteps: number;
  runway: number;
  ansibleCold: number;
  ansibleWarm: number;
  activitiesReport: number;
  activitiesHistory: number;
  overheadMsReport: number;
  overheadMsHistory: number;
  activities: number;
}

/** Medians over rounds of each tool's wall time on `hosts`, and of Runway's per-round overheads. */
export function summarize(timed: Timed[], hosts: number, batches: unknown[][]): SizeResult {
  const of = (tool: Tool) => timed.filter((t) => t.hosts === hosts && t.tool === tool);
  const runway = of('runway');
  const steps = hostSteps(hosts, batches.length);
  const per = (est: (t: Timed) => number) => median(runway.map((t) => ((t.seconds - est(t)) * 1000) / steps));
  return {
    hosts,
    batches: batches.length,
    batchHosts: batches[0].length,
    hostSteps: steps,
    runway: median(runway.map((t) => t.seconds)),
    ansibleCold: median(of('ansible-cold').map((t) => t.seconds)),
    ansibleWarm: median(of('ansible-warm').map((t) => t.seconds)),
    activitiesReport: median(runway.map((t) => t.activitySecondsReport ?? 0)),
    activitiesHistory: median(runway.map((t) => t.activitySecondsHistory ?? 0)),
    overheadMsReport: per((t) => t.activitySecondsReport ?? 0),
    overheadMsHistory: per((t) => t.activitySecondsHistory ?? 0),
    activities: median(runway.map((t) => t.activities ?? 0)),
  };
}

/** The results as two Markdown tables: wall times, then Runway's overhead. */
export function markdownTables(results: SizeResult[]): string {
  const s = (x: number) => x.toFixed(1);
  const walls = results.map(
    (r) =>
      `| ${r.hosts} | ${r.batches} × ${r.batchHosts} | ${s(r.runway)} | ${s(r.ansibleCold)} | ${s(r.ansibleWarm)} | ` +
      `${(r.runway / r.ansibleCold).toFixed(2)}× | ${(r.runway / r.ansibleWarm).toFixed(2)}× |`,
  );
  const overhead = results.map(
    (r) =>
      `| ${r.hosts} | ${r.hostSteps} | ${r.activities} | ${s(r.runway)} | ${s(r.activitiesReport)} | ` +
      `${r.overheadMsReport.toFixed(0)} | ${s(r.activitiesHistory)} | ${r.overheadMsHistory.toFixed(0)} |`,
  );
  return [
    '| web hosts | batches | Runway wall s | Ansible wall s (cold) | Ansible wall s (warm) | Runway/Ansible cold | Runway/Ansible warm |',
    '|--:|--:|--:|--:|--:|--:|--:|',
    ...walls,
    '',
    '| web hosts | host steps | Runway activities | Runway wall s | in activities s (report) | overhead ms/host step (report) | in activities s (history) | overhead ms/host step (history) |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...overhead,
  ].join('\n');
}
