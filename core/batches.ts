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

/** The hosts in a batch (the last may have fewer). */
function largestBatch(hosts: number, size: number | string): number {
  return Math.min(hosts, batchCount(hosts, size));
}

/** When a run's fan-outs go to child workflows: a command on more than `childAbove` hosts, `hostsPerChild` a child. */
export interface Fanout {
  childAbove: number;
  hostsPerChild: number;
}

/** Batches smaller than this stay in the run's own history: a child workflow would record about as much there. */
export const SMALLEST_CHILD_BATCH = 4;

/**
 * The fan-out of a run that works through `hosts` hosts in batches of `size`. A run over more than `childAbove` hosts
 * sends each batch to child workflows too, however small (down to {@link SMALLEST_CHILD_BATCH} hosts): otherwise
 * every host would add its events to the run's own history, batch after batch, and 1,000 hosts in batches of 10 come
 * close to Temporal's warning of 10,240 events, and pass it when they roll back.
 */
export function runFanout(fanout: Fanout, hosts: number, size: number | string): Fanout {
  if (hosts <= fanout.childAbove) return fanout;
  const batch = largestBatch(hosts, size);
  if (batch > fanout.childAbove || batch < SMALLEST_CHILD_BATCH) return fanout;
  return { ...fanout, childAbove: batch - 1 };
}

/** What one run's history may be expected to reach: well inside Temporal's limits of 51,200 events and 50 MB. */
export const HISTORY_BUDGET = { events: 44_000, bytes: 40 * 1024 * 1024 };

/** A run that works through `hosts` hosts in batches; `upstreamBytes` is what one load balancer update sends (0: none). */
export interface BatchedRun {
  kind: keyof typeof BATCH_COSTS;
  hosts: number;
  size: number | string;
  fanout: Fanout;
  upstreamBytes: number;
}

/**
 * What a batch adds to its run's history, at worst, measured on the fake fleet. A rolling deploy's worst is every
 * batch done and then undone (1,000 hosts: batches of 4 rolled back from batch 100 recorded 6,008 events and 18.7 MB;
 * batches of 5 from batch 200, 11,204 events and 33.5 MB; batches of 20 from batch 50, 3,563 events and 13.4 MB):
 * about 72 events a batch in children, or 44 and 14 a host in the run; its load balancer updates (out, back in, and
 * the same for its undo) send the whole upstream each; each host's switch, health probe and revert about 2 KB with
 * their results; and the release phases about 4 KB a host. An exec's batch is one command, never undone: 200 hosts
 * one at a time recorded 1,221 events and 337 KB, 1,000 in batches of 10 (in children) 921 events and 721 KB.
 */
export const BATCH_COSTS = {
  deploy: {
    inChildren: 72,
    inRun: 44,
    perHost: 14,
    upstreamWrites: 4,
    batchBytes: 16_384,
    batchHostBytes: 2048,
    hostBytes: 4096,
  },
  exec: {
    inChildren: 16,
    inRun: 8,
    perHost: 4,
    upstreamWrites: 0,
    batchBytes: 4096,
    batchHostBytes: 1024,
    hostBytes: 0,
  },
};

/** What a batched run's own history comes to at worst (see {@link BATCH_COSTS}). */
export function worstHistory(run: BatchedRun): { batches: number; events: number; bytes: number } {
  const cost = BATCH_COSTS[run.kind];
  const batch = largestBatch(run.hosts, run.size);
  const batches = Math.ceil(run.hosts / batch);
  const inChildren = batch > run.fanout.childAbove;
  const events = batches * (inChildren ? cost.inChildren : cost.inRun + cost.perHost * batch);
  const bytes =
    batches * (cost.upstreamWrites * run.upstreamBytes + batch * cost.batchHostBytes + cost.batchBytes) +
    run.hosts * cost.hostBytes;
  return { batches, events, bytes };
}

/**
 * Why a run in these batches could outgrow one history (undefined when it cannot), and the smallest batch that fits.
 * Temporal ends a run whose history passes its limits wherever it is: half-way through a rollback too.
 */
export function tooManyBatches(run: BatchedRun): string | undefined {
  const fits = (size: number | string) => {
    const worst = worstHistory({ ...run, size, fanout: runFanout(run.fanout, run.hosts, size) });
    return worst.events <= HISTORY_BUDGET.events && worst.bytes <= HISTORY_BUDGET.bytes;
  };
  if (fits(run.size)) return undefined;
  const { batches } = worstHistory(run);
  let least = largestBatch(run.hosts, run.size) + 1;
  while (least < run.hosts && !fits(least)) least++;
  return (
    `${run.size} makes ${batches} batches of ${run.hosts} hosts, more than one run's history holds ` +
    `(Temporal ends a run past 51,200 events or 50 MB, wherever it is, a rollback too): ` +
    `use batches of ${least} hosts or more`
  );
}
