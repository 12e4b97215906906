import { z } from 'zod';
import { DurationSchema } from './duration';
import { InputError } from './errors';
import { formatPath, issueMessage } from './load';
import { NameSchema } from './schema';

/** A batch size: a count of hosts or a percentage of them. */
export const BatchSizeSchema = z.union([
  z.number().int().min(1),
  z.string().regex(/^(100|[1-9]\d?)(\.\d+)?%$/, 'expected a count or a percentage like 25%'),
]);

/** Fields every runbook input has. `timeout` arrives as a duration and leaves as `timeoutMs`. */
const base = {
  environment: NameSchema.describe('environment from runway.yml'),
  timeout: DurationSchema.optional().describe('roll back and stop if the run takes longer'),
};

function withTimeoutMs<T extends { timeout?: number }>({
  timeout,
  ...rest
}: T): Omit<T, 'timeout'> & { timeoutMs?: number } {
  return timeout === undefined ? rest : { ...rest, timeoutMs: timeout };
}

/** Input of the `exec` runbook: a command line on a role or on named hosts, in batches. */
export const ExecInputSchema = z
  .strictObject({
    ...base,
    command: z.string().min(1).describe('command line, run as the login shell would'),
    role: NameSchema.optional(),
    hosts: z.array(NameSchema).min(1).optional(),
    batchSize: BatchSizeSchema.default('100%').describe('hosts per batch; batches run one after another'),
  })
  .refine((v) => !(v.role && v.hosts), { message: 'give role or hosts, not both', path: ['role'] })
  .transform(withTimeoutMs);

/** What a caller passes (durations as text); {@link ExecInput} is what the runbook sees. */
export type ExecParams = z.input<typeof ExecInputSchema>;
export type ExecInput = z.output<typeof ExecInputSchema>;

/** One step of the `steps` runbook: a command line and, optionally, the command line that reverses it. */
export const ScriptStepSchema = z.strictObject({
  name: z.string().min(1).max(120),
  run: z.string().min(1).describe('command line run on every target host'),
  undo: z.string().min(1).optional().describe('command line that reverses run; runs on rollback'),
  retry: z.number().int().min(0).max(10).optional().describe('run the step again this many times if it fails'),
  timeout: DurationSchema.optional().describe('fail (and roll back) if the step takes longer'),
});

/** Input of the `steps` runbook: an ad-hoc procedure with undos, on a role or named hosts. */
export const StepsInputSchema = z
  .strictObject({
    ...base,
    role: NameSchema.optional(),
    hosts: z.array(NameSchema).min(1).optional(),
    steps: z.array(ScriptStepSchema).min(1).max(200),
  })
  .refine((v) => !(v.role && v.hosts), { message: 'give role or hosts, not both', path: ['role'] })
  .transform(withTimeoutMs);

export type StepsParams = z.input<typeof StepsInputSchema>;
export type StepsInput = z.output<typeof StepsInputSchema>;

/** The input schema of every runbook, by workflow type. Runbooks without an entry cannot be started. */
export const INPUT_SCHEMAS: Record<string, z.ZodType> = {
  exec: ExecInputSchema,
  steps: StepsInputSchema,
};

/** Validates a runbook input; throws {@link InputError} with one `input.path: message` line per problem. */
export function parseRunInput<T = unknown>(runbook: string, input: unknown, schemas = INPUT_SCHEMAS): T {
  const schema = schemas[runbook];
  if (!schema) {
    throw new InputError(`unknown runbook "${runbook}" (known: ${Object.keys(schemas).sort().join(', ')})`);
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as T;
  const lines = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${formatPath(['input', ...issue.path, key])}: unknown key`)
      : [`${formatPath(['input', ...issue.path])}: ${issueMessage(issue)}`],
  );
  throw new InputError(lines.join('\n'));
}
