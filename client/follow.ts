import type { WorkflowHandle } from '@temporalio/client';
import type { RunwayClient } from './lib';
import type { Outcome } from './outcome';
import { progressEvents, renderLines } from './render';

/** How often the live view asks the run for its progress. */
export const FOLLOW_INTERVAL_MS = 500;

/**
 * Shows a run's progress until it ends, then returns its outcome: lines redrawn in place on a TTY, plain event lines
 * (each printed once) in CI logs.
 */
export async function follow(
  runway: RunwayClient,
  handle: WorkflowHandle,
  out: NodeJS.WriteStream = process.stdout,
): Promise<Outcome> {
  let done: Outcome | undefined;
  const finished = runway.wait(handle).then((o) => (done = o));
  const printed = new Set<string>();
  let drawn = 0;
  const show = (lines: string[]) => {
    if (out.isTTY) {
      out.write((drawn > 0 ? `\x1b[${drawn}F\x1b[J` : '') + lines.join('\n') + '\n');
      drawn = lines.length;
      return;
    }
    for (const event of lines) {
      if (printed.has(event)) continue;
      printed.add(event);
      out.write(event + '\n');
    }
  };
  for (;;) {
    // Decide before polling: a run that ends during the poll still gets its final state drawn on the next turn.
    const ended = done;
    const progress = ended ? ended.report : await runway.progress(handle);
    if (progress) show(out.isTTY ? renderLines(progress) : progressEvents(progress));
    if (ended) return ended;
    await Promise.race([finished, new Promise((r) => setTimeout(r, FOLLOW_INTERVAL_MS))]);
  }
}
