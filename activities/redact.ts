import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { redactDeep, redactSecrets, resolveSecret, type RunwayConfig, type SecretRef } from '../config';

/**
 * Redaction at the activity boundary: whatever an activity returns or throws reaches the workflow history only after
 * every secret value this worker has resolved is replaced by `[REDACTED]`. Output tails, error messages (and their
 * causes) and any other text an activity hands back pass through here, whichever activity made them.
 */
export class RedactingActivityInbound implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return redactDeep(await next(input));
    } catch (err) {
      throw redactError(err);
    }
  }
}

/** Redacts an error's message, stack and causes in place (its class, type and retryability stay as they were). */
export function redactError<T>(err: T, depth = 0): T {
  if (!(err instanceof Error) || depth > 5) return err;
  err.message = redactSecrets(err.message);
  if (err.stack) err.stack = redactSecrets(err.stack);
  const details = (err as { details?: unknown }).details;
  if (Array.isArray(details)) (err as { details?: unknown }).details = redactDeep(details);
  if (err.cause) redactError(err.cause, depth + 1);
  return err;
}

/** Every secret reference in a config, with where it is, so a worker knows all the values it must redact. */
export function secretRefsOf(config: RunwayConfig): Array<{ where: string; ref: SecretRef }> {
  const refs: Array<{ where: string; ref: SecretRef | undefined }> = [
    { where: 'temporal.apiKey', ref: config.temporal.apiKey },
    { where: 'ssh.key.passphrase', ref: config.ssh.key?.passphrase },
    { where: 'notify.slack.token', ref: config.notify.slack?.token },
    ...Object.entries(config.temporal.encryption?.keys ?? {}).map(([id, ref]) => ({
      where: `temporal.encryption.keys.${id}`,
      ref,
    })),
    { where: 'temporal.encryption.codecServer.token', ref: config.temporal.encryption?.codecServer?.token },
    ...Object.entries(config.services).flatMap(([name, svc]) =>
      Object.entries(svc.secrets).map(([key, ref]) => ({ where: `services.${name}.secrets.${key}`, ref })),
    ),
    ...Object.entries(config.backups).flatMap(([name, set]) => [
      { where: `backups.${name}.connection.password`, ref: 'connection' in set ? set.connection?.password : undefined },
      { where: `backups.${name}.encryption.key`, ref: set.encryption?.key },
    ]),
    ...Object.entries(config.certificates).map(([name, cert]) => ({
      where: `certificates.${name}.acme.accountKey`,
      ref: cert.acme?.accountKey,
    })),
  ];
  return refs.filter((r): r is { where: string; ref: SecretRef } => r.ref !== undefined);
}

/**
 * Resolves every secret the config references, once at worker start, so that output printed by a command that never
 * received a secret through Runway (a service's start command reading its `runway.secrets`) is redacted too — even by
 * a worker that restarted since the secret was written. A reference that cannot be resolved now is skipped (the run
 * that needs it fails then, saying why); returns how many were.
 */
export function rememberConfiguredSecrets(config: RunwayConfig): { resolved: number; unresolved: string[] } {
  const unresolved: string[] = [];
  let resolved = 0;
  for (const { where, ref } of secretRefsOf(config)) {
    try {
      resolveSecret(ref, where);
      resolved++;
    } catch {
      unresolved.push(where);
    }
  }
  return { resolved, unresolved };
}
