import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';
import { childWorkflowIds } from '../client/lib';
import { activitySpans, unionSeconds, type HistoryEvent } from './rolling-report';

/** What a run and the child workflows it started left in Temporal. */
export interface RunHistories {
  /** Events of the run's own history. */
  runEvents: number;
  /** Child workflows the run started. */
  children: number;
  /** Events of the largest history, the run's or a child's. */
  largestEvents: number;
  /** The union of the intervals during which any activity ran, over the run and its children (seconds). */
  busySeconds: number;
  activities: number;
  /** Activities started, by the worker identity (`<pid>@<hostname>`) that ran them. */
  byWorker: Record<string, number>;
}

/** Reads a run's history and its children's (the ids its StartChildWorkflowExecutionInitiated events name). */
export async function runHistories(client: WorkflowClient, handle: WorkflowHandle): Promise<RunHistories> {
  const own = (await handle.fetchHistory()).events ?? [];
  const ids = childWorkflowIds(own);
  const all: HistoryEvent[][] = [own];
  for (const id of ids) all.push((await client.getHandle(id).fetchHistory()).events ?? []);
  const byWorker: Record<string, number> = {};
  for (const e of all.flat()) {
    const identity = e.activityTaskStartedEventAttributes?.identity;
    if (identity) byWorker[identity] = (byWorker[identity] ?? 0) + 1;
  }
  // Per history: event ids number each history's own events.
  const spans = all.flatMap((events) => activitySpans(events));
  return {
    runEvents: own.length,
    children: ids.length,
    largestEvents: Math.max(...all.map((events) => events.length)),
    busySeconds: unionSeconds(spans),
    activities: spans.length,
    byWorker,
  };
}

/** One timed run of the fleet bench. */
export interface FleetTrial extends Omit<RunHistories, 'byWorker'> {
  kind: 'exec' | 'rolling';
  hosts: number;
  workers: number;
  /** The run's place among the runs of one set of worker processes (1: their ssh pools start empty). */
  run: number;
  wallSeconds: number;
  /** Wall time ÷ the time any remote command or probe ran. */
  ratio: number;
  /** ssh handshakes the workers made during the run, per host the run reached. */
  handshakesPerHost: number;
  /** Each worker process's peak resident set after the run (MiB). */
  workerRssMiB: number[];
  /** Activities each worker process ran, in start order of the processes. */
  activitiesByWorker: number[];
}

const f = (n: number, digits = 2) => n.toFixed(digits);

/** A Markdown table of the trials, one row each. */
export function fleetTable(trials: FleetTrial[]): string {
  const head =
    '| run | hosts | workers | # | wall s | busy s | wall ÷ busy | largest history (events) | run history | children | handshakes/host | worker peak RSS MiB | activities per worker |';
  const rows = trials.map(
    (t) =>
      `| ${t.kind} | ${t.hosts} | ${t.workers} | ${t.run} | ${f(t.wallSeconds, 1)} | ${f(t.busySeconds, 1)} | ${f(t.ratio)} | ` +
      `${t.largestEvents} | ${t.runEvents} | ${t.children} | ${f(t.handshakesPerHost)} | ` +
      `${t.workerRssMiB.map((r) => r.toFixed(0)).join(' / ')} | ${t.activitiesByWorker.join(' / ')} |`,
  );
  return [head, `|${'---|'.repeat(13)}`, ...rows].join('\n');
}
