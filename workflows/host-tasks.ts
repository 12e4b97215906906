import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import { describeError, isCancellation } from './errors';
import { mapLimit, type Settled } from './pool';
import { hostActivities } from './proxies';
import type {
  ExecRequest,
  ExecResult,
  HttpProbeRequest,
  HttpProbeResult,
  PlanTiming,
  UploadRequest,
  UploadResult,
} from '../core/plan';
import { FailureType } from '../core/failures';

/**
 * Large fan-outs in child workflows. One workflow history holds every activity of its run, and Temporal warns past
 * 10,240 events and refuses more than 2,000 pending activities: a command on 1,000 hosts would be 3,000 events in one
 * history. Above `fanout.childAbove` hosts a command (an upload, a health probe) runs in groups of
 * `fanout.hostsPerChild` hosts, each group a `hostTasks` child workflow; the parent's history holds a few events per
 * group and the children's results.
 */

/** When a command's hosts are many enough to run in child workflows, and how many hosts each child takes. */
export interface FanoutSettings {
  childAbove: number;
  hostsPerChild: number;
}

/** One host's part of a large fan-out: a command, an upload, or a health probe of its instance. */
export type HostTask =
  | { kind: 'exec'; request: ExecRequest }
  | { kind: 'upload'; request: UploadRequest }
  | { kind: 'probe'; host: string; request: HttpProbeRequest };

/** What each kind of task gives back. */
export type TaskResult<T extends HostTask> = T extends { kind: 'exec' }
  ? ExecResult
  : T extends { kind: 'upload' }
    ? UploadResult
    : HttpProbeResult;

/** What the parent hands a child: the tasks, one per host, and how to run them. */
export interface HostTasksInput {
  tasks: HostTask[];
  timing: PlanTiming;
  concurrency: number;
  /** Stop starting commands after the first failure (a command that throws), as in the parent. */
  failFast: boolean;
  /** Summary prefix for each activity ("<step>"), shown by the Web UI with the host's name. */
  label: string;
}

/**
 * One host's outcome: its result, or why the task did not complete (transport, a probe's deadline). A child names
 * the host too, so a client can show each host's output from the child's result (the run keeps counts only).
 */
export type HostOutcome<R = ExecResult> = (
  { status: 'fulfilled'; value: R } | { status: 'rejected'; error: string } | { status: 'skipped' }
) & { host?: string };

/** The most output kept per stream in a child's result: 100 hosts of full tails would pass the payload limit. */
export const CHILD_TAIL_BYTES = 8 * 1024;

/** Runs one group of a large fan-out: each host's task as an activity, at most `concurrency` at once. */
export async function hostTasks(input: HostTasksInput): Promise<Array<HostOutcome<unknown>>> {
  const activities = hostActivities(input.timing);
  const run = (task: HostTask): Promise<unknown> => {
    switch (task.kind) {
      case 'exec':
        return activities.sshExec.executeWithOptions({ summary: `${input.label} · ${task.request.host.name}` }, [
          task.request,
        ]);
      case 'upload':
        return activities.sshUpload.executeWithOptions(
          { summary: `upload ${task.request.remotePath} · ${task.request.host.name}` },
          [task.request],
        );
      case 'probe':
        return activities.httpProbe.executeWithOptions({ summary: `health ${task.request.url}` }, [task.request]);
    }
  };
  const settled = await mapLimit(input.tasks, input.concurrency, run, {
    stopOnError: input.failFast,
    stopWhen: (r) =>
      input.failFast && (r as Partial<ExecResult>).exitCode !== undefined && (r as ExecResult).exitCode !== 0,
  });
  const cancelled = settled.find((s) => s.status === 'rejected' && isCancellation(s.reason));
  if (cancelled?.status === 'rejected') throw cancelled.reason;
  return settled.map((s, i) => ({ host: hostOf(input.tasks[i]), ...outcomeOf(s) }));
}

function outcomeOf(s: Settled<unknown>): HostOutcome<unknown> {
  if (s.status === 'skipped') return s;
  if (s.status === 'rejected') return { status: 'rejected', error: describeError(s.reason) };
  const value = s.value as Partial<ExecResult>;
  if (typeof value.stdout !== 'string' || typeof value.stderr !== 'string') return s;
  const cut = (text: string) => (text.length > CHILD_TAIL_BYTES ? text.slice(text.length - CHILD_TAIL_BYTES) : text);
  return { status: 'fulfilled', value: { ...value, stdout: cut(value.stdout), stderr: cut(value.stderr) } };
}

/** Splits `items` into consecutive groups of at most `size`. */
export function groupsOf<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

/**
 * Runs tasks in `hostTasks` children, group by group: as many children at once as the concurrency allows
 * (`concurrency ÷ hostsPerChild`, at least one), each running `min(concurrency, hostsPerChild)` hosts at once, so no
 * more than `concurrency` commands run at any moment. With `failFast`, no new child starts after one reports a failure.
 * Calls `onGroup` as each child ends, so the parent's progress moves group by group.
 */
export async function runInChildren<T extends HostTask>(
  tasks: T[],
  settings: FanoutSettings,
  options: Omit<HostTasksInput, 'tasks'> & {
    /** Numbers the run's children (their workflow ids), counted by the run. */
    nextChild: () => number;
    onGroup?: (first: number, outcomes: Array<HostOutcome<TaskResult<T>>>) => void;
  },
): Promise<Array<HostOutcome<TaskResult<T>>>> {
  type Outcome = HostOutcome<TaskResult<T>>;
  const { onGroup, nextChild: _, ...base } = options;
  const groups = groupsOf(tasks, settings.hostsPerChild);
  const parallel = Math.max(1, Math.floor(base.concurrency / settings.hostsPerChild));
  const perChild = Math.min(base.concurrency, settings.hostsPerChild);
  const { workflowId, runId } = workflowInfo();
  const outcomes: Outcome[] = tasks.map(() => ({ status: 'skipped' }));
  const settled = await mapLimit(
    groups,
    parallel,
    async (group, g) => {
      const first = g * settings.hostsPerChild;
      const result = (await executeChild(hostTasks, {
        args: [{ ...base, concurrency: perChild, tasks: group }],
        workflowId: `${workflowId}/${runId.slice(0, 8)}/hosts-${options.nextChild()}`,
        staticSummary: `${base.label} on ${hostOf(group[0])}…${hostOf(group[group.length - 1])} (${group.length} hosts)`,
      })) as Outcome[];
      result.forEach((o, i) => (outcomes[first + i] = o));
      onGroup?.(first, result);
      return result;
    },
    { stopOnError: true, stopWhen: (r) => base.failFast && r.some(failed) },
  );
  const rejected = settled.find((s) => s.status === 'rejected');
  if (rejected?.status === 'rejected') {
    if (isCancellation(rejected.reason)) throw rejected.reason;
    throw ApplicationFailure.create({
      type: FailureType.CommandFailed,
      message: `a group of hosts failed to run: ${describeError(rejected.reason)}`,
      nonRetryable: true,
    });
  }
  return outcomes;
}

/** The host a task is for. */
export function hostOf(task: HostTask): string {
  return task.kind === 'probe' ? task.host : task.request.host.name;
}

/** A host outcome that counts as a failure: not completed, or a command that exited non-zero. */
export function failed(o: HostOutcome<unknown>): boolean {
  if (o.status === 'rejected') return true;
  return (
    o.status === 'fulfilled' &&
    (o.value as Partial<ExecResult>).exitCode !== undefined &&
    (o.value as ExecResult).exitCode !== 0
  );
}
