import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { FailureType } from '../core/failures';
import type { RunReport } from '../core/progress';

/** The CLI's exit codes, for CI. */
export const ExitCode = {
  /** The run succeeded. */
  Succeeded: 0,
  /** The run failed and was fully rolled back. */
  Failed: 1,
  /** Invalid input or config: nothing was started. */
  Invalid: 2,
  /** The run failed and its rollback is incomplete (or no rollback could run): needs a human. */
  NeedsHuman: 3,
  /** Cancelled, timed out, or rejected at a gate. */
  Stopped: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** How a run ended, as the CLI and the client library report it. */
export interface Outcome {
  exitCode: ExitCode;
  status: string;
  message: string;
  report?: RunReport;
}

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
