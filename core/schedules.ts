import type { ScheduleDescription, ScheduleOptions, ScheduleUpdateOptions } from '@temporalio/client';
import type {
  BackupParams,
  BackupVerifyParams,
  CertCheckParams,
  CertRenewParams,
  DrillParams,
  RunwayConfig,
  ScheduleSpec,
} from '../config';
import { subjectRunId } from './names';
import { runSummaryLine } from './run-summary';
import { runAttributes } from './search-attributes';

/**
 * The Temporal Schedules `runway.yml` asks for, and what `runway schedules apply` must do to get there. Runway owns
 * only schedules whose id starts with {@link SCHEDULE_PREFIX} and that carry its memo: any other schedule in the
 * namespace is never touched.
 */
export const SCHEDULE_PREFIX = 'runway:';

/** Who starts a scheduled run, as its input's `actor`. */
export const SCHEDULE_ACTOR = 'schedule';

/** How far apart scheduled renewals of several certificates start (config order). */
export const RENEW_STAGGER_MS = 120_000;

/** Bumped when the way a schedule is built changes, so the next apply updates every schedule. */
const FINGERPRINT_VERSION = 2;

/** One schedule as the config defines it. */
export interface DesiredSchedule {
  /** `runway:backup:<set>`, `runway:backup-verify:<set>`, `runway:dr-drill:<drill>`, `runway:cert-check:<name>`,
   * `runway:cert-renew:<name>`. */
  id: string;
  workflowType: 'backup' | 'backupVerify' | 'drDrill' | 'certCheck' | 'certRenew';
  /** The id without the prefix; Temporal appends the scheduled time to it for each run. */
  workflowId: string;
  input: BackupParams | BackupVerifyParams | DrillParams | CertCheckParams | CertRenewParams;
  /** The environment the run acts in (a drill's: its set's), for the search attributes. */
  environment: string;
  spec: ScheduleSpec;
  /** The spec as a person reads it: the cron expression, or `every 6h`. */
  specText: string;
  taskQueue: string;
  catchupWindow: number;
  paused: boolean;
  /** Everything above, as one stable string: equal fingerprints mean nothing to update. */
  fingerprint: string;
}

/** A schedule found in Temporal; `fingerprint` is set only on one Runway created (it carries Runway's memo). */
export interface ExistingSchedule {
  id: string;
  fingerprint?: string;
  workflowType?: string;
  specText?: string;
}

/** What an apply does. `conflict`: ids Runway wants that a schedule not made by Runway already holds. */
export interface SchedulePlan {
  create: DesiredSchedule[];
  update: (DesiredSchedule & { was?: string })[];
  remove: ExistingSchedule[];
  unchanged: DesiredSchedule[];
  conflict: string[];
}

/** One schedule as `runway schedules list` shows it. */
export interface ScheduleRow {
  id: string;
  workflowType: string;
  specText: string;
  paused: boolean;
  nextRun?: Date;
  lastRun?: { time: Date; workflowId: string; status: string };
}

/** Every schedule the config's backups and drills ask for, in config order, on `taskQueue`. */
export function desiredSchedules(
  config: Pick<RunwayConfig, 'backups' | 'drills' | 'schedules'> & Partial<Pick<RunwayConfig, 'certificates'>>,
  taskQueue: string,
): DesiredSchedule[] {
  const { catchupWindow, paused } = config.schedules;
  const make = (
    workflowId: string,
    workflowType: DesiredSchedule['workflowType'],
    input: DesiredSchedule['input'],
    environment: string,
    spec: ScheduleSpec,
  ): DesiredSchedule => {
    const id = SCHEDULE_PREFIX + workflowId;
    const specText = scheduleSpecText(spec);
    const defined = {
      id,
      workflowType,
      workflowId,
      input,
      environment,
      spec,
      specText,
      taskQueue,
      catchupWindow,
      paused,
    };
    return { ...defined, fingerprint: JSON.stringify([FINGERPRINT_VERSION, defined]) };
  };
  const out: DesiredSchedule[] = [];
  for (const [set, { schedule, environment }] of Object.entries(config.backups)) {
    const input = { set, actor: SCHEDULE_ACTOR };
    if (schedule?.backup) out.push(make(subjectRunId('backup', set), 'backup', input, environment, schedule.backup));
    if (schedule?.verify)
      out.push(make(subjectRunId('backupVerify', set), 'backupVerify', input, environment, schedule.verify));
  }
  for (const [drill, { schedule, backup }] of Object.entries(config.drills)) {
    const environment = config.backups[backup]?.environment ?? '';
    if (schedule)
      out.push(
        make(subjectRunId('drDrill', drill), 'drDrill', { drill, actor: SCHEDULE_ACTOR }, environment, schedule),
      );
  }
  let renewals = 0;
  for (const [name, { schedule, environment }] of Object.entries(config.certificates ?? {})) {
    const input = { names: [name], actor: SCHEDULE_ACTOR };
    if (schedule?.check)
      out.push(make(subjectRunId('certCheck', name), 'certCheck', input, environment, schedule.check));
    if (schedule?.renew) {
      // Entries renewed at the same time start RENEW_STAGGER apart: one CA or load balancer in trouble meets one.
      const delay = `${(renewals++ * RENEW_STAGGER_MS) / 1000}s`;
      const renew = { certificate: name, actor: SCHEDULE_ACTOR, ...(delay === '0s' ? {} : { delay }) };
      out.push(make(subjectRunId('certRenew', name), 'certRenew', renew, environment, schedule.renew));
    }
  }
  return out;
}

/** Compares what the config asks for with what Temporal has. */
export function planSchedules(desired: DesiredSchedule[], existing: ExistingSchedule[]): SchedulePlan {
  const found = new Map(existing.map((e) => [e.id, e]));
  const plan: SchedulePlan = { create: [], update: [], remove: [], unchanged: [], conflict: [] };
  for (const d of desired) {
    const e = found.get(d.id);
    if (!e) plan.create.push(d);
    else if (e.fingerprint === undefined) plan.conflict.push(d.id);
    else if (e.fingerprint === d.fingerprint) plan.unchanged.push(d);
    else plan.update.push(e.specText && e.specText !== d.specText ? { ...d, was: e.specText } : d);
  }
  const wanted = new Set(desired.map((d) => d.id));
  plan.remove = existing.filter(
    (e) => e.id.startsWith(SCHEDULE_PREFIX) && e.fingerprint !== undefined && !wanted.has(e.id),
  );
  return plan;
}

/**
 * What Temporal is given for a schedule: create takes all of it, update all but the id and the memo (fixed at
 * creation). Runway's marker goes in both memos: the schedule's says Runway made it; the action's, which an update
 * rewrites, holds the current fingerprint (and tags each run the schedule starts). `status` is the search attribute
 * value a run starts with, as the client sets it.
 */
export function scheduleOptions(
  d: DesiredSchedule,
  status: string,
): ScheduleUpdateOptions & Pick<ScheduleOptions, 'scheduleId' | 'memo'> {
  const memo: Marker = { runway: { fingerprint: d.fingerprint, specText: d.specText } };
  return {
    scheduleId: d.id,
    spec: typeof d.spec === 'string' ? { cronExpressions: [d.spec] } : { intervals: [d.spec] },
    action: {
      type: 'startWorkflow',
      workflowType: d.workflowType,
      workflowId: d.workflowId,
      args: [d.input],
      taskQueue: d.taskQueue,
      memo: { ...memo, actor: SCHEDULE_ACTOR },
      typedSearchAttributes: runAttributes({ runbook: d.workflowType, status, environment: d.environment }),
      staticSummary: runSummaryLine(d.workflowType, { ...d.input, environment: d.environment }),
    },
    policies: { overlap: 'SKIP', catchupWindow: d.catchupWindow },
    state: { paused: d.paused },
    memo,
  };
}

type Marker = { runway?: { fingerprint?: string; specText?: string } };

/** Whether Runway made the schedule: its memo carries Runway's marker. */
export function ownedByRunway(d: Pick<ScheduleDescription, 'memo'>): boolean {
  return (d.memo as Marker | undefined)?.runway !== undefined;
}

/** A described schedule as a plan sees it: with a fingerprint only when it carries Runway's marker. */
export function existingSchedule(id: string, d: Pick<ScheduleDescription, 'memo' | 'action'>): ExistingSchedule {
  const current = (d.action.memo as Marker | undefined)?.runway;
  const fingerprint = ownedByRunway(d) ? (current?.fingerprint ?? '') : undefined;
  return { id, workflowType: d.action.workflowType, fingerprint, specText: current?.specText };
}

/** A described schedule as `runway schedules list` shows it, with the status of its last run (when known). */
export function scheduleRow(id: string, d: ScheduleDescription, lastStatus = 'unknown'): ScheduleRow {
  const last = d.info.recentActions.at(-1);
  return {
    id,
    workflowType: d.action.workflowType,
    specText: existingSchedule(id, d).specText ?? '',
    paused: d.state.paused,
    nextRun: d.info.nextActionTimes[0],
    lastRun: last && { time: last.takenAt, workflowId: last.action.workflow.workflowId, status: lastStatus },
  };
}

/** `0 2 * * *` as is; `{ every: 6h, offset: 30m }` as `every 6h offset 30m`. */
export function scheduleSpecText(spec: ScheduleSpec): string {
  if (typeof spec === 'string') return spec;
  return `every ${durationText(spec.every)}${spec.offset ? ` offset ${durationText(spec.offset)}` : ''}`;
}

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

function durationText(ms: number): string {
  const unit = Object.entries(UNITS).find(([, size]) => ms % size === 0);
  return unit ? `${ms / unit[1]}${unit[0]}` : `${ms}ms`;
}

/** One line per schedule of the plan (`+` create, `~` update, `-` delete, `=` unchanged), then a count. */
export function planLines(plan: SchedulePlan, dryRun: boolean): string[] {
  const rows: string[][] = [
    ...plan.create.map((d) => [`+ ${d.id}`, d.workflowType, d.specText]),
    ...plan.update.map((d) => [`~ ${d.id}`, d.workflowType, d.specText + (d.was ? `  (was ${d.was})` : '')]),
    ...plan.remove.map((e) => [`- ${e.id}`, e.workflowType ?? '', e.specText ?? '']),
    ...plan.unchanged.map((d) => [`= ${d.id}`, d.workflowType, d.specText]),
  ];
  const [c, u, r, k] = [plan.create, plan.update, plan.remove, plan.unchanged].map((list) => list.length);
  const summary = dryRun
    ? `dry run: ${c} to create, ${u} to update, ${r} to delete, ${k} unchanged; nothing changed`
    : `${c} created, ${u} updated, ${r} deleted, ${k} unchanged`;
  return [...table(rows), summary];
}

/** `runway schedules list`: a header and one row per schedule. */
export function scheduleLines(rows: ScheduleRow[]): string[] {
  const when = (d?: Date) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');
  return table([
    ['SCHEDULE', 'RUNBOOK', 'SPEC', 'NEXT RUN', 'LAST RUN'],
    ...rows.map((r) => [
      r.id,
      r.workflowType,
      r.specText,
      r.paused ? 'paused' : when(r.nextRun),
      r.lastRun ? `${when(r.lastRun.time)} ${r.lastRun.workflowId} ${r.lastRun.status}` : '-',
    ]),
  ]);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]) : cell))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Roughly how far apart a schedule's runs are, for "not run on schedule" alerts: an `every` is exact; a cron
 * expression is read by its fields (a day of week: weekly; a day of month: monthly; an hour: daily; else hourly).
 */
export function scheduleIntervalMs(spec: ScheduleSpec): number {
  if (typeof spec !== 'string') return spec.every;
  const named: Record<string, number> = {
    '@hourly': 3_600_000,
    '@daily': 86_400_000,
    '@weekly': 7 * 86_400_000,
    '@monthly': 31 * 86_400_000,
    '@yearly': 366 * 86_400_000,
  };
  if (named[spec]) return named[spec];
  const [, hour, dom, month, dow] = spec.trim().split(/\s+/);
  if (month !== '*') return 366 * 86_400_000;
  if (dom !== '*') return 31 * 86_400_000;
  if (dow !== '*') return 7 * 86_400_000;
  return hour !== '*' && !hour.includes('/') ? 86_400_000 : 3_600_000;
}
