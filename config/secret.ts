import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * A secret is always a reference — an environment variable or a file — resolved by an activity at the moment of use.
 * The value itself never enters a workflow input, a history, a log line or a message.
 */
export const SecretRefSchema = z.unknown().transform((value, ctx) => {
  const parsed = RefShape.safeParse(value);
  if (parsed.success) return parsed.data;
  ctx.addIssue({
    code: 'custom',
    message:
      typeof value === 'string'
        ? 'secrets are references, not values: write { env: NAME } or { file: PATH }'
        : 'expected a secret reference { env: NAME } or { file: PATH }',
  });
  return z.NEVER;
});

const RefShape = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
  z.strictObject({ file: z.string().min(1) }),
]);

export type SecretRef = z.infer<typeof RefShape>;

/** A resolved secret. It prints, logs and serializes as `[REDACTED]`; only {@link Secret.reveal} gives the value. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[REDACTED]';
  }

  toJSON(): string {
    return '[REDACTED]';
  }

  [inspect.custom](): string {
    return '[REDACTED]';
  }
}

/** Resolves a reference at the moment of use: an environment variable, or a file (trailing newline dropped). */
export function resolveSecret(ref: SecretRef, what: string): Secret {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new Error(`${what}: environment variable ${ref.env} is not set`);
    return new Secret(value);
  }
  try {
    return new Secret(readFileSync(ref.file, 'utf8').replace(/\r?\n$/, ''));
  } catch (err) {
    throw new Error(
      `${what}: cannot read ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
