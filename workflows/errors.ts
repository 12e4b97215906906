import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { ExecResult } from '../core/plan';
import { describeError, FailureType } from '../core/failures';

/** A command that ran and exited non-zero on at least one host. Carries every host's result in its details. */
export function commandFailed(message: string, results: ExecResult[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.CommandFailed,
    message,
    nonRetryable: true,
    details: [results],
  });
}

export { describeError, FailureType, isCancellation };
