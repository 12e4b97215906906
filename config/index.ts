/**
 * Runway's config: the zod schemas of `runway.yml` (the single source of truth for its types), the loader that turns
 * a file into a validated config or one `file:line:col path: message` line per problem, and the cross-field rules.
 */
export * from './schema';
export * from './services';
export * from './errors';
export * from './load';
export * from './issues';
export { parseDuration, DurationSchema } from './duration';
export { SecretRefSchema, Secret, resolveSecret, type SecretRef } from './secret';
export * from './inputs';
export { temporalTarget, type TemporalTarget } from './temporal';
