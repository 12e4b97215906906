import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/**
 * Runs `run` in a scope that Temporal's timer cancels after `ms`. What was running is cancelled (activities with their
 * remote commands), and the cancellation it ends with is replaced by `expired()` — a deadline reached is a failure of
 * its own, not an operator's cancellation. A cancellation from outside passes through unchanged.
 */
export async function withDeadline<T>(ms: number, run: () => T | PromiseLike<T>, expired: () => Error): Promise<T> {
  let reached = false;
  const scope = new CancellationScope();
  const timerScope = new CancellationScope();
  const timer = timerScope.run(async () => {
    await sleep(ms);
    reached = true;
    scope.cancel();
  });
  try {
    return await scope.run(async () => run());
  } catch (err) {
    throw reached && isCancellation(err) ? expired() : err;
  } finally {
    timerScope.cancel();
    timer.catch(() => undefined);
  }
}
