import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** The longest duration a config or an input may give: ten years, far below where timers and protobufs overflow. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Parses a duration such as `500ms`, `30s`, `5m`, `1.5h`, `7d`; returns milliseconds or undefined. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
}

/** A duration in config: a string with a unit (`30s`, `5m`) or a number of milliseconds. Parsed to milliseconds. */
export const DurationSchema = z
  .union([z.number(), z.string()], { error: 'expected a duration like 30s, 5m or 1h' })
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : parseDuration(value);
    if (ms === undefined || ms < 0 || !Number.isInteger(ms)) {
      const what =
        typeof value === 'number' ? 'a whole number of milliseconds, 0 or more' : 'a duration like 30s, 5m or 1h';
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `expected a duration of at most 3650d, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A duration that must be longer than zero: a timeout, an interval, an age. */
export const PositiveDurationSchema = DurationSchema.refine((ms) => ms > 0, 'expected a duration longer than 0');
