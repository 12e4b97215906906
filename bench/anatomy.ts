import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { median } from './report';

/**
 * Where one run's time goes, read from its history (server timestamps): workflow tasks and events per step, and for
 * each host command the median milliseconds of its phases — the command as the activity timed it (ssh and the journal
 * wrapper), the activity from its start to its completion reaching the server,
 * from its completion to the workflow task that sees it (server and matching), that workflow task (the worker's
 * activation and its completion call), and from there to the next command's start (zero with eager dispatch).
 */
export interface Anatomy {
  steps: number;
  events: number;
  workflowTasks: number;
  eventsPerStep: number;
  workflowTasksPerStep: number;
  ms: { command: number; activity: number; toWorkflowTask: number; workflowTask: number; toNextActivity: number };
}

interface Event {
  eventId: string;
  eventTime: string;
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  activityTaskStartedEventAttributes?: { scheduledEventId: string };
  activityTaskCompletedEventAttributes?: { scheduledEventId: string; result?: { payloads: { data: string }[] } };
}

const ms = (from: string, to: string) => Date.parse(to) - Date.parse(from) + nanos(to) - nanos(from);
/** Date.parse keeps milliseconds only: the digits after them, in ms. */
const nanos = (iso: string) => Number(`0.${(iso.split('.')[1] ?? '').replace('Z', '').slice(3) || '0'}`);

/** The anatomy of a finished run of `steps` steps (payloads not encrypted: the activity results are read as JSON). */
export async function anatomy(handle: WorkflowHandle, steps: number): Promise<Anatomy> {
  const events = (JSON.parse(historyToJSON(await handle.fetchHistory())) as { events: Event[] }).events;
  const at = (type: string) => events.filter((e) => e.eventType === `EVENT_TYPE_${type}`);
  const commands = new Set(
    at('ACTIVITY_TASK_SCHEDULED')
      .filter((e) => e.activityTaskScheduledEventAttributes!.activityType.name === 'sshExec')
      .map((e) => e.eventId),
  );
  const phases = {
    command: [] as number[],
    activity: [] as number[],
    toWorkflowTask: [] as number[],
    workflowTask: [] as number[],
  };
  const toNextActivity: number[] = [];
  for (const done of at('ACTIVITY_TASK_COMPLETED')) {
    const scheduled = done.activityTaskCompletedEventAttributes!.scheduledEventId;
    if (!commands.has(scheduled)) continue;
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId === scheduled)!;
    phases.activity.push(ms(started.eventTime, done.eventTime));
    const result = done.activityTaskCompletedEventAttributes!.result?.payloads[0]?.data;
    const value = result
      ? (JSON.parse(Buffer.from(result, 'base64').toString()) as { durationMs?: number })
      : undefined;
    if (typeof value?.durationMs === 'number') phases.command.push(value.durationMs);
    // The workflow task the completion scheduled: the first one started after it, and its completion.
    const index = events.indexOf(done);
    const taskStarted = events.slice(index).find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_STARTED');
    const taskDone = events.slice(index).find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
    if (!taskStarted || !taskDone) continue;
    phases.toWorkflowTask.push(ms(done.eventTime, taskStarted.eventTime));
    phases.workflowTask.push(ms(taskStarted.eventTime, taskDone.eventTime));
    // The next command, scheduled by that workflow task: from the task's completion to its start on a worker.
    const next = events.slice(events.indexOf(taskDone)).find((e) => commands.has(e.eventId));
    const nextStarted =
      next && events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId === next.eventId);
    if (nextStarted) toNextActivity.push(ms(taskDone.eventTime, nextStarted.eventTime));
  }
  const workflowTasks = at('WORKFLOW_TASK_COMPLETED').length;
  return {
    steps,
    events: events.length,
    workflowTasks,
    eventsPerStep: events.length / steps,
    workflowTasksPerStep: workflowTasks / steps,
    ms: {
      command: phases.command.length ? median(phases.command) : NaN,
      activity: median(phases.activity),
      toWorkflowTask: median(phases.toWorkflowTask),
      workflowTask: median(phases.workflowTask),
      toNextActivity: toNextActivity.length ? median(toNextActivity) : NaN,
    },
  };
}
