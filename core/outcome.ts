import type { RunReport } from './progress';

/** The CLI's exit codes, for CI: the contract between a run's outcome and whatever called it. */
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
