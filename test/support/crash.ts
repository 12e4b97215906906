import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandleWithFirstExecutionRunId as RunHandle } from '@temporalio/client';
import type { RunwayClient } from '../../client/lib';
import type { Outcome } from '../../client/outcome';
import type { RunReport } from '../../core/progress';
import { spawnWorker, type TestWorld } from './harness';

const GRPC_NOT_FOUND = 5;

/** The seed of a crash test's kill delays: `RUNWAY_CRASH_SEED` replays a failing run. */
export const SEED = Number(process.env.RUNWAY_CRASH_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a seeded PRNG, so a failing trial's kill delays can be replayed with RUNWAY_CRASH_SEED. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A `runway worker` process a crash test can SIGKILL and replace, and what such a test needs around it: sending a run's
 * next task away from the dead worker's sticky queue, waiting for an outcome with a limit, and naming the step a kill
 * landed in.
 */
export class CrashRig {
  private worker: ChildProcess | undefined;

  constructor(
    private readonly world: TestWorld,
    private readonly runway: RunwayClient,
    private readonly outcomeTimeoutMs = 60_000,
  ) {}

  /** Starts a worker unless one runs. */
  async start(): Promise<void> {
    this.worker ??= await spawnWorker(this.world);
  }

  /** SIGKILLs the worker and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.worker;
    this.worker = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Sends the run's next workflow task to the normal queue: the dead worker's sticky queue would hold it for the SDK's
   * 10 s schedule-to-start timeout first. Production rides that out; a test of many trials need not wait for it.
   */
  async unstick(workflowId: string): Promise<void> {
    const { client } = this.runway;
    await client.workflowService
      .resetStickyTaskQueue({ namespace: client.options.namespace, execution: { workflowId } })
      .catch((err: { code?: number }) => {
        if (err.code !== GRPC_NOT_FOUND) throw err; // not started yet (so not sticky), or already ended
      });
  }

  /** Kills the worker, unsticks the run and starts a new worker. */
  async crash(workflowId: string): Promise<void> {
    await this.kill();
    await this.unstick(workflowId);
    await this.start();
  }

  /** The run's outcome, or a failure after the rig's limit. */
  async outcomeOf(handle: RunHandle): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no outcome within ${this.outcomeTimeoutMs} ms`)),
        this.outcomeTimeoutMs,
      );
    });
    try {
      return await Promise.race([this.runway.wait(handle), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The step that was running at time `at` (and whether its command re-attached), for a trial's line. */
export function stepAt(report: RunReport | undefined, at: number): string {
  const steps = report?.steps ?? [];
  const step = steps.find((s) => at >= Date.parse(s.startedAt) && (!s.endedAt || at <= Date.parse(s.endedAt)));
  if (step) return `"${step.name}"${Object.values(step.hosts).some((h) => h.reattached) ? ' (re-attached)' : ''}`;
  if (!steps.length || at < Date.parse(steps[0].startedAt)) return 'planning';
  const last = steps[steps.length - 1].endedAt;
  return last && at > Date.parse(last) ? 'after the last step' : 'between steps';
}
