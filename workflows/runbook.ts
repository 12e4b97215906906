import { CancellationScope } from '@temporalio/workflow';
import type { RunInput } from '../config/inputs';
import { Runbook } from './context';
import { withDeadline } from './deadline';
import { describeError, FailureType, isCancellation } from './errors';
import { isInvalidInput } from '../core/failures';
import { currentPlan } from './recorded-plan';
import type { RunReport, RunStatus } from './progress';
import { control } from './proxies';
import { rollbackSummary, Run } from './run';
import { Saga } from './saga';

export type { RunInput };

/**
 * Runs a runbook body as a durable, compensating run. The plan (hosts, roles, settings) is resolved by an activity,
 * so a run started from the Temporal CLI or UI needs only names and replays the same way forever. On failure,
 * cancellation, rejection at a gate or timeout the undos of completed steps run newest first; the run ends with a
 * {@link RunReport}: returned on success, carried in the failure details otherwise. Either way it is announced on
 * Slack (when configured) and written to the audit log.
 */
export async function runbook<I extends RunInput>(
  name: string,
  input: unknown,
  body: (rb: Runbook<I>) => Promise<void>,
): Promise<RunReport> {
  const run = new Run(name, input);
  let plan;
  try {
    plan = currentPlan(
      await control.resolvePlan.executeWithOptions({ summary: `plan ${name} from runway.yml` }, [
        { runbook: name, input },
      ]),
    );
  } catch (err) {
    return closing(run, isCancellation(err) ? 'cancelled' : 'invalid', describeError(err));
  }
  run.planned(plan);
  const saga = new Saga(
    run.progress.steps,
    () => run.changed(),
    (step) => run.stepEnded(step),
  );
  const rb = new Runbook<I>(plan as typeof plan & { input: I }, saga, run);
  const deadline = (plan.input as Partial<RunInput>).timeoutMs;
  try {
    await (deadline
      ? withDeadline(
          deadline,
          () => body(rb),
          () => new RunTimedOut(),
        )
      : body(rb));
    return closing(run, 'succeeded');
  } catch (err) {
    // Refused before it changed anything (a state check found the hosts unfit): invalid, exit 2, nothing to undo.
    const status = isInvalidInput(err) && !saga.hasUndos ? 'invalid' : failureStatus(err);
    const why =
      err instanceof RunTimedOut
        ? `did not finish within ${deadline} ms`
        : status === 'cancelled'
          ? 'cancelled'
          : describeError(err);
    run.notifier?.reply(`❌ ${name} ${status}: ${why} — rolling back`);
    run.setStatus('rolling-back');
    const rollingBack = saga.hasUndos;
    const complete = await saga.compensate();
    if (rollingBack) run.rolledBack(complete);
    run.notifier?.reply(
      complete
        ? `↩️ rolled back${rollbackSummary(run.progress).replace(/^; rolled back/, '')}`
        : `🆘 rollback incomplete${rollbackSummary(run.progress)}`,
    );
    return closing(run, complete ? status : 'rollback-incomplete', why);
  }
}

/** Ends the run where cancellation cannot reach: Slack, audit, then the report or the failure. */
function closing(run: Run, status: RunStatus, why?: string): Promise<RunReport> {
  return CancellationScope.nonCancellable(() => run.close(status, why));
}

function failureStatus(err: unknown): RunStatus {
  if (err instanceof RunTimedOut) return 'timed-out';
  if (isCancellation(err)) return 'cancelled';
  if ((err as { type?: string }).type === FailureType.Rejected) return 'rejected';
  return 'failed';
}

/** The run's own `timeout` was reached (as opposed to an operator cancelling it). */
class RunTimedOut extends Error {}
