/** The outcome of one item of a bounded fan-out. */
export type Settled<R> =
  | { status: 'fulfilled'; value: R }
  | { status: 'rejected'; reason: unknown }
  | { status: 'skipped' };

/**
 * Runs `fn` over `items` with at most `limit` running at once, in order of the items. With `stopOnError`, items not
 * yet started when one fails are skipped, but those already running are awaited — a fan-out never leaves work behind.
 * Pure promise code, so it is deterministic inside a workflow.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  stopOnError = false,
): Promise<Settled<R>[]> {
  const results: Settled<R>[] = items.map(() => ({ status: 'skipped' }));
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !(stopOnError && failed)) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index], index) };
      } catch (reason) {
        failed = true;
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

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
