import { ApplicationFailure } from '@temporalio/common';

/**
 * Failure types a run can end with, and the activities' own non-retryable types. The CLI maps the run's to exit codes;
 * retry policies name the activities'. Declared once: every `type` string in the tree comes from here.
 */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  RunFailed: 'RunFailed',
  RollbackIncomplete: 'RollbackIncomplete',
  TimedOut: 'TimedOut',
  CommandFailed: 'CommandFailed',
  StepTimedOut: 'StepTimedOut',
  Rejected: 'Rejected',
  VerificationFailed: 'VerificationFailed',
  ObjectivesMissed: 'ObjectivesMissed',
  // The activities' own, which retrying cannot fix:
  SlackRejected: 'SlackRejected',
  SlackNotConfigured: 'SlackNotConfigured',
  ProbeFailed: 'ProbeFailed',
  CommandTimedOut: 'CommandTimedOut',
  CommandInterrupted: 'CommandInterrupted',
  WrapperFailed: 'WrapperFailed',
  JournalUnwritable: 'JournalUnwritable',
  HostKeyRejected: 'HostKeyRejected',
  AuthFailed: 'AuthFailed',
  ChecksumMismatch: 'ChecksumMismatch',
  AcmeRefused: 'AcmeRefused',
  AcmeChallengeFailed: 'AcmeChallengeFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/**
 * A failure that retrying cannot fix and that needs no rollback: wrong input, an unknown name, an unexpected state of
 * the hosts found before anything changed. The run ends `invalid` (exit 2).
 */
export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true });
}

/** A check that ran and found something wrong (a backup that does not restore as its manifest says, a drill too slow). */
export function checkFailed(type: 'VerificationFailed' | 'ObjectivesMissed', message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** True when a failure (or what a workflow caught) is an {@link invalidInput}. */
export function isInvalidInput(err: unknown): boolean {
  return (err as { type?: string } | undefined)?.type === FailureType.InvalidInput;
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
