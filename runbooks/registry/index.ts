import type { z } from 'zod';
import { validateRunInput } from '../../config/inputs';
import { isRegisteredRunbook } from '../../workflows/define';
import * as shipped from '../index';

/** A runbook as callers see it: its workflow type, what it does, and the schema its input must pass. */
export interface RunbookEntry {
  type: string;
  description: string;
  input: z.ZodType;
}

/**
 * Every runbook a caller may start, from the registry (`runbooks/index.ts`: one line per runbook file). The worker's
 * workflows, the plan activity's input schemas, `runway runbooks` and `runway run --help` all come from here.
 * Internal workflows (Slack delivery) are exported there too, without a description, and are not listed.
 */
export const RUNBOOKS: readonly RunbookEntry[] = Object.entries(shipped)
  .filter(([, value]) => isRegisteredRunbook(value))
  .map(([type, workflow]) => ({ type, ...(workflow as { runbook: Omit<RunbookEntry, 'type'> }).runbook }));

/** The input schema of every startable runbook, by workflow type. */
export const INPUT_SCHEMAS: Record<string, z.ZodType> = Object.fromEntries(RUNBOOKS.map((r) => [r.type, r.input]));

/** Validates an input for a runbook (by workflow type); throws an InputError naming each problem and where. */
export function parseRunInput<T = unknown>(runbook: string, input: unknown, schemas = INPUT_SCHEMAS): T {
  return validateRunInput<T>(schemas, runbook, input);
}
