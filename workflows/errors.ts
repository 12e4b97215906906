import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { ExecResult } from './types';

/** Failure types a run can end with; the CLI maps each to an exit code. */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  RunFailed: 'RunFailed',
  RollbackIncomplete: 'RollbackIncomplete',
  TimedOut: 'TimedOut',
  CommandFailed: 'CommandFailed',
  StepTimedOut: 'StepTimedOut',
  Rejected: 'Rejected',
} as const;

/** A command that ran and exited non-zero on at least one host. Carries every host's result in its details. */
export function commandFailed(message: string, results: ExecResult[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.CommandFailed,
    message,
    nonRetryable: true,
    details: [results],
  });
}

/** The innermost message of a failure chain: what actually went wrong, without the wrapping layers. */
export function describeError(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current.message) message = current.message;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return message;
}

export { isCancellation };
