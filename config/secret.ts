import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * A secret is always a reference — an environment variable, a file, or a command whose output is the value (a vault
 * CLI, `pass`, `aws secretsmanager …`) — resolved on the worker at the moment of use. The value itself never enters a
 * workflow input, a history, a log line or a message.
 */
export const SecretRefSchema = z.unknown().transform((value, ctx) => {
  const parsed = RefShape.safeParse(value);
  if (parsed.success) return parsed.data;
  ctx.addIssue({
    code: 'custom',
    message:
      typeof value === 'string'
        ? 'secrets are references, not values: write { env: NAME } or { file: PATH }'
        : 'expected a secret reference { env: NAME }, { file: PATH } or { command: CMD }',
  });
  return z.NEVER;
});

const RefShape = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ command: z.string().min(1) }),
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

/** How long a `{ command }` reference may take to print its value. */
export const SECRET_COMMAND_TIMEOUT_MS = 15_000;

/**
 * Resolves a reference at the moment of use: an environment variable, a file or a command's standard output (one
 * trailing newline dropped). Every value resolved is remembered for {@link redactSecrets}.
 */
export function resolveSecret(ref: SecretRef, what: string): Secret {
  const value = readRef(ref, what);
  if (value === '') throw new Error(`${what}: ${describeRef(ref)} is empty`);
  remember(value);
  return new Secret(value);
}

/** Where a reference points, for messages: never its value. */
export function describeRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `command "${ref.command}"`;
}

function readRef(ref: SecretRef, what: string): string {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new Error(`${what}: environment variable ${ref.env} is not set`);
    return value;
  }
  if ('file' in ref) {
    try {
      return readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(
        `${what}: cannot read ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  try {
    const out = execFileSync('/bin/sh', ['-c', ref.command], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SECRET_COMMAND_TIMEOUT_MS,
      maxBuffer: 1 << 20,
    });
    return out.replace(/\r?\n$/, '');
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: string | null; stderr?: string };
    const why =
      e.code === 'ETIMEDOUT' || e.signal === 'SIGTERM'
        ? `did not finish within ${SECRET_COMMAND_TIMEOUT_MS / 1000} s`
        : e.status != null
          ? `exited ${e.status}${e.stderr?.trim() ? `: ${redactSecrets(e.stderr.trim().split('\n').pop()!).slice(0, 200)}` : ''}`
          : (e.code ?? e.message);
    throw new Error(`${what}: command "${ref.command}" ${why}`);
  }
}

// ---- redaction ----

/** Values shorter than this are not redacted: replacing every "ab" in a text would hide the text, not a secret. */
export const REDACT_MIN_LENGTH = 4;
export const REDACTED = '[REDACTED]';

const known = new Set<string>();

/** Remembers a value (and each of its lines, for a multi-line secret such as a PEM key) for {@link redactSecrets}. */
export function remember(value: string): void {
  for (const part of [value, ...value.split(/\r?\n/)]) {
    if (part.trim().length >= REDACT_MIN_LENGTH) known.add(part);
  }
}

/**
 * Replaces every secret value this process has resolved (and `extra`) with `[REDACTED]`. For the tail of a longer
 * output (`truncated`), a start that is the end of a secret — the tail was cut inside one — is replaced too, when at
 * least {@link REDACT_MIN_LENGTH} characters of it show.
 */
export function redactSecrets(text: string, extra: Iterable<string> = [], truncated = false): string {
  const needles = [...new Set([...known, ...[...extra].filter((v) => v.length >= REDACT_MIN_LENGTH)])].sort(
    (a, b) => b.length - a.length,
  );
  let out = text;
  for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
  if (!truncated) return out;
  for (const needle of needles) {
    for (let k = needle.length - 1; k >= REDACT_MIN_LENGTH; k--) {
      if (out.startsWith(needle.slice(-k))) return REDACTED + out.slice(k);
    }
  }
  return out;
}

/** Redacts every string inside a JSON-like value (results, failure details) without changing its shape. */
export function redactDeep<T>(value: T): T {
  if (known.size === 0) return value;
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
