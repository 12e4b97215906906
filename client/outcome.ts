import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { FailureType } from '../core/failures';
import { ExitCode, type Outcome } from '../core/outcome';
import type { RunReport } from '../core/progress';

export { ExitCode, type Outcome };

const BY_FAILURE_TYPE: Record<string, ExitCode> = {
  [FailureType.RunFailed]: ExitCode.Failed,
  [FailureType.InvalidInput]: ExitCode.Invalid,
  [FailureType.RollbackIncomplete]: ExitCode.NeedsHuman,
  [FailureType.TimedOut]: ExitCode.Stopped,
  [FailureType.Rejected]: ExitCode.Stopped,
};

/** The outcome of a successful result. */
export function succeeded(report: RunReport): Outcome {
  return { exitCode: ExitCode.Succeeded, status: 'succeeded', message: `${report.runbook} succeeded`, report };
}

/** Maps a failed run to its outcome. Terminated and timed-out executions never ran their undos, so they need a human. */
export function failedOutcome(err: unknown): Outcome {
  if (!(err instanceof WorkflowFailedError)) throw err;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const report = cause.details?.[0] as RunReport | undefined;
    return {
      exitCode: BY_FAILURE_TYPE[cause.type ?? ''] ?? ExitCode.Failed,
      status: report?.status ?? 'failed',
      message: cause.message,
      report,
    };
  }
  if (cause instanceof CancelledFailure) {
    return { exitCode: ExitCode.Stopped, status: 'cancelled', message: 'cancelled' };
  }
  if (cause instanceof TerminatedFailure) {
    return {
      exitCode: ExitCode.NeedsHuman,
      status: 'terminated',
      message: 'terminated: no rollback ran — check the hosts',
    };
  }
  if (cause instanceof TimeoutFailure) {
    return {
      exitCode: ExitCode.NeedsHuman,
      status: 'timed-out',
      message: 'workflow execution timed out: no rollback ran',
    };
  }
  return { exitCode: ExitCode.Failed, status: 'failed', message: cause?.message ?? err.message };
}
