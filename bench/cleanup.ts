/** Cleanups, run newest first. */
export type Undo = Array<() => unknown>;

/** Runs the cleanups above `mark`, newest first; one that fails is logged and the older ones still run. */
export async function unwind(undo: Undo, mark = 0): Promise<void> {
  while (undo.length > mark) {
    await Promise.resolve()
      .then(undo.pop()!)
      .catch((e) => console.error('cleanup:', e));
  }
}

/**
 * Runs a benchmark's `body` with an undo stack that is unwound once, whether the body ends, fails, or the process
 * gets SIGINT or SIGTERM (then it exits 130). A failure is printed and sets exit code 1.
 */
export function runBench(body: (undo: Undo) => Promise<void>): void {
  const undo: Undo = [];
  const onSignal = () => void unwind(undo).finally(() => process.exit(130));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  body(undo)
    .finally(async () => {
      await unwind(undo);
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
