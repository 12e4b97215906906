import {
  ApplicationFailure,
  CancelledFailure,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { withDeadline } from './deadline';
import { control } from './proxies';
import { Runbook } from './context';
import { describeError, FailureType, isCancellation } from './errors';
import { progressQuery, type RunProgress, type RunReport, type RunStatus } from './progress';
import { Saga } from './saga';
import * as sa from './search-attributes';
import { now } from './time';

/** Inputs every runbook accepts, besides its own. */
export interface RunInput {
  environment: string;
  /** Roll back and stop if the run takes longer than this many milliseconds (validated input is in ms). */
  timeoutMs?: number;
}

const FAILURE_TYPE: Partial<Record<RunStatus, string>> = {
  failed: FailureType.RunFailed,
  'rollback-incomplete': FailureType.RollbackIncomplete,
  'timed-out': FailureType.TimedOut,
  invalid: FailureType.InvalidInput,
};

/**
 * Runs a runbook body as a durable, compensating run. The plan (hosts, roles, settings) is resolved by an activity,
 * so a run started from the Temporal CLI or UI needs only names and replays the same way forever. On failure,
 * cancellation or timeout the undos of completed steps run newest first; the run ends with a {@link RunReport}:
 * returned on success, carried in the failure details otherwise.
 */
export async function runbook<I extends RunInput>(
  name: string,
  input: unknown,
  body: (rb: Runbook<I>) => Promise<void>,
): Promise<RunReport> {
  const info = workflowInfo();
  const progress: RunProgress = {
    runbook: name,
    environment: environmentOf(input),
    workflowId: info.workflowId,
    runId: info.runId,
    status: 'running',
    startedAt: now(),
    steps: [],
    labels: labelsOf(input),
  };
  setHandler(progressQuery, () => progress);

  let plan;
  try {
    plan = await control.resolvePlan({ runbook: name, input });
  } catch (err) {
    return finish(progress, isCancellation(err) ? 'cancelled' : 'invalid', describeError(err));
  }
  progress.environment = plan.environment;
  progress.url =
    plan.uiUrl &&
    `${plan.uiUrl}/namespaces/${plan.namespace}/workflows/${encodeURIComponent(info.workflowId)}/${info.runId}/history`;
  setStatus(progress, 'running');

  const saga = new Saga(progress.steps);
  const rb = new Runbook<I>(plan as typeof plan & { input: I }, saga);
  const deadline = (plan.input as Partial<RunInput>).timeoutMs;
  try {
    await (deadline
      ? withDeadline(
          deadline,
          () => body(rb),
          () => new RunTimedOut(),
        )
      : body(rb));
    return finish(progress, 'succeeded');
  } catch (err) {
    const timedOut = err instanceof RunTimedOut;
    const cancelled = isCancellation(err);
    setStatus(progress, 'rolling-back');
    const complete = await saga.compensate();
    const status: RunStatus = !complete
      ? 'rollback-incomplete'
      : timedOut
        ? 'timed-out'
        : cancelled
          ? 'cancelled'
          : 'failed';
    const why = timedOut ? `did not finish within ${deadline} ms` : cancelled ? 'cancelled' : describeError(err);
    return finish(progress, status, why);
  }
}

/** The run's own `timeout` was reached (as opposed to an operator cancelling it). */
class RunTimedOut extends Error {}

/** Records the outcome, then returns the report or throws the failure the CLI maps to an exit code. */
function finish(progress: RunProgress, status: RunStatus, why?: string): RunReport {
  progress.endedAt = now();
  progress.error = why;
  setStatus(progress, status);
  if (status === 'succeeded') return progress;
  const undone = progress.steps.filter((s) => s.status === 'undone').length;
  const failedUndos = progress.steps.filter((s) => s.status === 'undo-failed').map((s) => `"${s.name}"`);
  const rollback =
    failedUndos.length > 0
      ? `; rollback INCOMPLETE: undo of ${failedUndos.join(', ')} failed — needs a human`
      : undone > 0
        ? `; rolled back ${undone} step${undone === 1 ? '' : 's'}`
        : '';
  const message = `${progress.runbook} ${status}: ${why ?? 'unknown error'}${rollback}`;
  if (status === 'cancelled') throw new CancelledFailure(message);
  throw ApplicationFailure.create({ type: FAILURE_TYPE[status], message, nonRetryable: true, details: [progress] });
}

function setStatus(progress: RunProgress, status: RunStatus): void {
  progress.status = status;
  const pairs: SearchAttributeUpdatePair[] = [
    { key: sa.RUNBOOK, value: progress.runbook },
    { key: sa.STATUS, value: status },
  ];
  if (progress.environment) pairs.push({ key: sa.ENVIRONMENT, value: progress.environment });
  if (progress.labels.service) pairs.push({ key: sa.SERVICE, value: progress.labels.service });
  if (progress.labels.version) pairs.push({ key: sa.VERSION, value: progress.labels.version });
  upsertSearchAttributes(pairs);
}

function environmentOf(input: unknown): string {
  const env = (input as { environment?: unknown } | null)?.environment;
  return typeof env === 'string' ? env : '';
}

function labelsOf(input: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of ['service', 'version'] as const) {
    const value = (input as Record<string, unknown> | null)?.[key];
    if (typeof value === 'string') labels[key] = value;
  }
  return labels;
}
