import type { z } from 'zod';
import type { RunReport } from '../core/progress';

/** What the registry knows of a runbook besides its code: a one-line description and the schema of its input. */
export interface RunbookInfo<S extends z.ZodType = z.ZodType> {
  /** One line, for `runway runbooks` and `runway run --help`. */
  description: string;
  /** Validates an input before anything starts: in the CLI and the client library, and in the plan activity. */
  input: S;
}

/** A runbook as the registry holds it: the workflow function, carrying its {@link RunbookInfo}. */
export type RegisteredRunbook<S extends z.ZodType = z.ZodType> = ((input: z.input<S>) => Promise<RunReport>) & {
  runbook: RunbookInfo<S>;
};

/**
 * Declares a runbook: its workflow function with its description and input schema attached, so the one export is all
 * the registry (`runbooks/index.ts`) needs. The workflow type is the name it is exported under.
 */
export function defineRunbook<S extends z.ZodType>(
  info: RunbookInfo<S>,
  workflow: (input: z.input<S>) => Promise<RunReport>,
): RegisteredRunbook<S> {
  return Object.assign(workflow, { runbook: info });
}

/** True for an export made by {@link defineRunbook} (the registry skips internal workflows). */
export function isRegisteredRunbook(value: unknown): value is RegisteredRunbook {
  return typeof value === 'function' && typeof (value as Partial<RegisteredRunbook>).runbook?.description === 'string';
}
