/** Batches of hosts for rolling work: by count or by percentage. Pure: runbooks, the CLI and benchmarks share it. */

/** Splits items into consecutive batches of `size` (a count, or a percentage such as `'25%'`, at least 1). */
export function batches<T>(items: readonly T[], size: number | string): T[][] {
  const count = batchCount(items.length, size);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += count) out.push(items.slice(i, i + count));
  return out;
}

function batchCount(total: number, size: number | string): number {
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a whole number ≥ 1, got ${size}`);
    return size;
  }
  const match = /^(\d+(?:\.\d+)?)%$/.exec(size);
  if (!match || Number(match[1]) <= 0 || Number(match[1]) > 100) {
    throw new RangeError(`batch size must be a count or a percentage like 25%, got "${size}"`);
  }
  return Math.max(1, Math.floor((total * Number(match[1])) / 100));
}

/** A batch's hosts as a step names them: every name up to five, else the first and the last and how many. */
export function hostSpan(names: readonly string[]): string {
  if (names.length <= 5) return names.join(', ');
  return `${names[0]} … ${names[names.length - 1]} (${names.length} hosts)`;
}

/** Up to `max` items joined with ", ", and how many more there are: a message about a fleet stays readable. */
export function someOf(items: readonly string[], max = 10, separator = ', '): string {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)}${separator}and ${items.length - max} more`;
}
