import { z } from 'zod';
import { DurationSchema } from './duration';
import { InputError } from './errors';
import { formatPath, issueMessage } from './issues';
import { NameSchema } from './names';
import { BatchSizeSchema } from './batch';

export { BatchSizeSchema };

/** Fields every runbook input has. `timeout` arrives as a duration and leaves as `timeoutMs`. */
const actor = z.string().min(1).max(100).optional().describe('who asked for the run (CI user, operator)');

const base = {
  environment: NameSchema.describe('environment from runway.yml'),
  timeout: DurationSchema.optional().describe('roll back and stop if the run takes longer'),
  actor,
};

function withTimeoutMs<T extends { timeout?: number }>({
  timeout,
  ...rest
}: T): Omit<T, 'timeout'> & { timeoutMs?: number } {
  return timeout === undefined ? rest : { ...rest, timeoutMs: timeout };
}

/** The fields every runbook input has, as a schema of their own: what the engine itself reads of an input. */
export const RunInputSchema = z.strictObject(base).transform(withTimeoutMs);
export type RunInput = z.output<typeof RunInputSchema>;

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
  approval: z
    .boolean()
    .optional()
    .describe("wait for an approver first, when the environment's approval policy requires one (runway approve)"),
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

/** A version as deploys name it: safe as a file name and a shell word, e.g. `1.4.2`, `2026.11.22-3`, `v1+build.7`. */
export const VersionSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/,
    'expected a version of letters, digits, ".", "_", "+" or "-" (max 64 characters), e.g. 1.4.2',
  );

/** Input of a deploy (`deploy`, `deployBlueGreen`, `deployRolling`). */
export const DeployInputSchema = z
  .strictObject({
    ...base,
    service: NameSchema.describe('service from runway.yml'),
    version: VersionSchema,
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
      .optional()
      .describe('expected sha256 of the artifact'),
    actor,
  })
  .transform(withTimeoutMs);

export type DeployParams = z.input<typeof DeployInputSchema>;
export type DeployInput = z.output<typeof DeployInputSchema>;

/** Input of `rollback`: to the previous release, or to a named one still on the hosts. */
export const RollbackInputSchema = z
  .strictObject({ ...base, service: NameSchema, to: VersionSchema.optional(), actor })
  .transform(withTimeoutMs);

export type RollbackParams = z.input<typeof RollbackInputSchema>;
export type RollbackInput = z.output<typeof RollbackInputSchema>;

/** The fields of a backup runbook's input: the environment comes from the set (or drill) unless given to check it. */
const backupBase = {
  environment: NameSchema.optional().describe("defaults to the set's environment; when given, must be it"),
  timeout: DurationSchema.optional().describe('roll back and stop if the run takes longer'),
  actor,
};

/** A copy's id, as `runway backups status` and the manifests name it: `<set>-<UTC stamp>-<suffix>`. */
export const CopyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a copy id such as app-db-20261201T020000Z-1a2b3c');

/** Input of `backup`: take a copy of a set now. */
export const BackupInputSchema = z
  .strictObject({ ...backupBase, set: NameSchema.describe('backup set from runway.yml') })
  .transform(withTimeoutMs);
export type BackupParams = z.input<typeof BackupInputSchema>;
/** As the runbook sees it: the plan has filled in the set's environment. */
export type BackupInput = z.output<typeof BackupInputSchema> & { environment: string };

/** Input of `backupVerify`: restore-test a copy (default: the newest) of a set. */
export const BackupVerifyInputSchema = z
  .strictObject({
    ...backupBase,
    set: NameSchema.describe('backup set from runway.yml'),
    copy: CopyIdSchema.optional().describe('the copy to verify (default: the newest)'),
  })
  .transform(withTimeoutMs);
export type BackupVerifyParams = z.input<typeof BackupVerifyInputSchema>;
/** As the runbook sees it: the plan has filled in the set's environment. */
export type BackupVerifyInput = z.output<typeof BackupVerifyInputSchema> & { environment: string };

/** Input of `drDrill`: restore the newest verified copy into the DR target, start the app, measure RTO and RPO. */
export const DrillInputSchema = z
  .strictObject({
    ...backupBase,
    drill: NameSchema.describe('drill from runway.yml'),
    copy: CopyIdSchema.optional().describe('the copy to restore (default: the newest verified one)'),
  })
  .transform(withTimeoutMs);
export type DrillParams = z.input<typeof DrillInputSchema>;
/** As the runbook sees it: the plan has filled in the set's environment. */
export type DrillInput = z.output<typeof DrillInputSchema> & { environment: string };

/** Input of `backupStatus`: the state of every set (or the named ones) and the last drills. Reads only. */
export const BackupStatusInputSchema = z
  .strictObject({
    sets: z.array(NameSchema).optional().describe('sets to report (default: all)'),
    drills: z.number().int().min(0).max(1000).default(10).describe('how many of the last drills to include'),
    timeout: DurationSchema.optional(),
  })
  .transform(withTimeoutMs);
export type BackupStatusParams = z.input<typeof BackupStatusInputSchema>;
export type BackupStatusInput = z.output<typeof BackupStatusInputSchema> & { environment: string };

/** Input of `certCheck`: a TLS handshake with every endpoint of every certificate (or the named ones). */
export const CertCheckInputSchema = z
  .strictObject({
    names: z.array(NameSchema).min(1).optional().describe('certificates to check (default: all)'),
    timeout: DurationSchema.optional(),
    actor,
  })
  .transform(withTimeoutMs);
export type CertCheckParams = z.input<typeof CertCheckInputSchema>;
export type CertCheckInput = z.output<typeof CertCheckInputSchema> & { environment: string };

/** Input of `certRenew`: one certificate, renewed when due (or forced), installed, verified on the wire. */
export const CertRenewInputSchema = z
  .strictObject({
    certificate: NameSchema.describe('the certificates entry'),
    force: z.boolean().default(false).describe('renew even when the certificate is not due'),
    delay: DurationSchema.default(0).describe('wait this long first (schedules stagger several entries with it)'),
    timeout: DurationSchema.optional(),
    actor,
  })
  .transform(withTimeoutMs);
export type CertRenewParams = z.input<typeof CertRenewInputSchema>;
export type CertRenewInput = z.output<typeof CertRenewInputSchema> & { environment: string };

/**
 * Validates a runbook input against its schema in `schemas` (by workflow type; see `runbooks/registry/`); throws
 * {@link InputError} with one `input.path: message` line per problem.
 */
export function validateRunInput<T = unknown>(schemas: Record<string, z.ZodType>, runbook: string, input: unknown): T {
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
