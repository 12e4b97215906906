import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { journalKey } from '../../activities/ssh/journal';
import type { SandboxHost } from '../../sandbox/hosts';
import { freePort } from '../../sandbox/process';
import { spawnWorker, type TestWorld } from './harness';
export { countsByHost } from '../../sandbox/worker-process';

/**
 * A `runway worker` process: its pid (Temporal records a worker as `<pid>@<hostname>`, the SDK's default identity)
 * and its own /metrics.
 */
export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  metrics: string;
}

/** Starts `count` worker processes on the world's config (one task queue), side by side, each with its /metrics. */
export async function spawnWorkers(world: TestWorld, count: number): Promise<WorkerProcess[]> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  return Promise.all(
    ports.map(async (port) => {
      const child = await spawnWorker(world, ['--metrics', `127.0.0.1:${port}`]);
      return { child, pid: child.pid!, metrics: `http://127.0.0.1:${port}/metrics` };
    }),
  );
}

/** SIGKILLs a worker process and waits until it is gone. */
export async function killWorker(worker: WorkerProcess): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** The pid in a worker identity (`<pid>@<hostname>`). */
export const pidOf = (identity: string | null | undefined): number => Number((identity ?? '').split('@')[0]);

/** An activity of the run, as its history and the server's pending list name it. */
export interface ActivityRef {
  id: string;
  type: string;
  /** The host its request names (host activities). */
  host?: string;
  /** The worker that ran its last attempt, or runs it now. */
  pid: number;
}

/** An activity that ended: its last attempt, and for a host command whether that attempt re-attached to it. */
export interface ActivityRun extends ActivityRef {
  attempt: number;
  reattached?: boolean;
}

/** A JSON payload's value (the runs here are not encrypted); undefined when it is none. */
function json(data: Uint8Array | null | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(data ?? []).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** Every activity scheduled in the history, by the id of its ActivityTaskScheduled event. */
function scheduledIn(history: History): Map<string, Omit<ActivityRef, 'pid'>> {
  const scheduled = new Map<string, Omit<ActivityRef, 'pid'>>();
  for (const event of history.events ?? []) {
    const a = event.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const host = (json(a.input?.payloads?.[0]?.data)?.host as { name?: string } | undefined)?.name;
    scheduled.set(String(event.eventId), { id: a.activityId ?? '', type: a.activityType?.name ?? '', host });
  }
  return scheduled;
}

/**
 * Every activity of the run that has ended, with the worker that ran its last attempt. (The server writes an
 * ActivityTaskStarted event only once the attempt ends, so a running one is not here: see {@link runningActivities}.)
 */
export async function activityRuns(handle: WorkflowHandle): Promise<ActivityRun[]> {
  const history = await handle.fetchHistory();
  const scheduled = scheduledIn(history);
  const runs = new Map<string, ActivityRun>();
  for (const event of history.events ?? []) {
    const started = event.activityTaskStartedEventAttributes;
    const ref = scheduled.get(String(started?.scheduledEventId ?? ''));
    if (started && ref) runs.set(ref.id, { ...ref, pid: pidOf(started.identity), attempt: started.attempt ?? 1 });
    const completed = event.activityTaskCompletedEventAttributes;
    const done = scheduled.get(String(completed?.scheduledEventId ?? ''));
    const run = done && runs.get(done.id);
    if (completed && run) run.reattached = json(completed.result?.payloads?.[0]?.data)?.reattached === true;
  }
  return [...runs.values()];
}

/** The run's activities that workers are running now (as far as the server knows). */
export async function runningActivities(handle: WorkflowHandle): Promise<ActivityRef[]> {
  const [{ raw }, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
  const byId = new Map([...scheduledIn(history).values()].map((ref) => [ref.id, ref]));
  return (raw.pendingActivities ?? [])
    .filter((a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
    .map((a) => ({
      id: a.activityId ?? '',
      type: a.activityType?.name ?? '',
      host: byId.get(a.activityId ?? '')?.host,
      pid: pidOf(a.lastWorkerIdentity),
    }));
}

/** Whether the host command of `activityId` has claimed its journal entry on the host (it started there). */
export async function claimedOnHost(handle: WorkflowHandle, host: SandboxHost, activityId: string): Promise<boolean> {
  const { runId } = await handle.describe();
  return existsSync(join(host.dir, '.runway', 'journal', journalKey(handle.workflowId, runId, activityId)));
}

/** How many times each host's demo service was started at `version` (its start template appends to starts.log). */
export function startsOf(hosts: SandboxHost[], version: string, service = 'app'): number[] {
  return hosts.map((h) => {
    const log = join(h.dir, service, 'starts.log');
    if (!existsSync(log)) return 0;
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.endsWith(` ${version}`)).length;
  });
}
