/**
 * Runway's config: the zod schemas of `runway.yml` and of runbook inputs (the single source of truth for their types;
 * `core/plan.ts` derives the plan's from them), the loader that turns a file into a validated config — or the client's
 * `temporal`-only view of it — or one `file:line:col path: message` line per problem, and the cross-field rules.
 * `inputs.ts` is pure (zod only), so the runbooks can carry their input schemas. `encryption.ts` is the payload codec
 * every client and worker takes from `temporal.encryption`.
 */
export * from './schema';
export * from './services';
export * from './backups';
export * from './certificates';
export * from './errors';
export * from './load';
export * from './issues';
export { parseDuration, DurationSchema } from './duration';
export {
  SecretRefSchema,
  Secret,
  resolveSecret,
  describeRef,
  redactSecrets,
  redactDeep,
  REDACTED,
  type SecretRef,
} from './secret';
export * from './inputs';
export { temporalTarget, type TemporalTarget } from './temporal';
export {
  codecOf,
  dataConverterOf,
  EncryptionCodec,
  EncryptionError,
  UndecryptableError,
  type EncryptionConfig,
} from './encryption';
