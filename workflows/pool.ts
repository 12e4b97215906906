/** The outcome of one item of a bounded fan-out. */
export type Settled<R> =
  { status: 'fulfilled'; value: R } | { status: 'rejected'; reason: unknown } | { status: 'skipped' };

/** When a fan-out stops starting new items: on a rejection, and optionally on a value that counts as a failure. */
export interface StopPolicy<R> {
  stopOnError?: boolean;
  stopWhen?: (value: R) => boolean;
}

/**
 * Runs `fn` over `items` with at most `limit` running at once, in order of the items. With `stopOnError`, items not
 * yet started when one fails are skipped, but those already running are awaited — a fan-out never leaves work behind.
 * Pure promise code, so it is deterministic inside a workflow.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  policy: StopPolicy<R> | boolean = false,
): Promise<Settled<R>[]> {
  const { stopOnError = false, stopWhen } = typeof policy === 'boolean' ? { stopOnError: policy } : policy;
  const results: Settled<R>[] = items.map(() => ({ status: 'skipped' }));
  let next = 0;
  let stopped = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stopped) {
      const index = next++;
      try {
        const value = await fn(items[index], index);
        results[index] = { status: 'fulfilled', value };
        if (stopWhen?.(value)) stopped = true;
      } catch (reason) {
        if (stopOnError) stopped = true;
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

export { batches } from '../core/batches';
