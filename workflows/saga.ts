import { ApplicationFailure, CancellationScope, patched, sleep } from '@temporalio/workflow';
import { withDeadline } from './deadline';
import { describeError, FailureType, isCancellation } from './errors';
import { isInvalidInput } from '../core/failures';
import type { ProgressSink } from './command';
import type { StepProgress } from './progress';
import { now } from './time';

/** How often an undo is tried before the run is declared `rollback-incomplete`, and the pause between tries. */
export const UNDO_ATTEMPTS = 3;
export const UNDO_BACKOFF_MS = 1_000;

/**
 * The patch after which a step with `undoOnFailure` is undone when cancelled too: a batch cancelled half-way has
 * switched some of its hosts, and its undo is declared safe on a partial result. Runs recorded before it replay as
 * they ran.
 */
export const UNDO_CANCELLED_STEPS = 'undo-cancelled-steps';

export interface StepOptions {
  /** Reverses the step; run (newest first) if a later step fails, the run is cancelled, or it times out. */
  undo?: () => unknown;
  /**
   * Also undo this step when it fails or is cancelled itself — for multi-host steps whose undo is safe on a partial
   * result. Not when it refused with invalid input (nothing changed), so such a run still ends `invalid`.
   */
  undoOnFailure?: boolean;
  /** Run the step again up to this many times when it fails (a new command each time, not a re-attach). */
  retry?: number;
  /** Pause before a retry, in milliseconds (multiplied by the try number). */
  retryDelayMs?: number;
  /** Fail the step (and so roll back) if it takes longer than this many milliseconds. */
  timeoutMs?: number;
  /** Tries for the undo before giving up on it. */
  undoAttempts?: number;
}

interface Undo {
  record: StepProgress;
  undo: () => unknown;
  attempts: number;
}

/** Steps with their undos: the saga of one run. Progress is written into the run's step list as it goes. */
export class Saga {
  private readonly undos: Undo[] = [];
  private readonly active: ProgressSink[] = [];

  constructor(
    private readonly steps: StepProgress[],
    private readonly changed: () => void = () => undefined,
    private readonly ended: (step: StepProgress) => void = () => undefined,
  ) {}

  /** Where a command started now reports: the innermost running step or undo, else a step of its own. */
  sink(label: string): ProgressSink {
    const current = this.active[this.active.length - 1];
    if (current) return current;
    const record: StepProgress = { name: `$ ${label.slice(0, 80)}`, status: 'succeeded', startedAt: now(), hosts: {} };
    this.steps.push(record);
    return record;
  }

  /** Runs one step; on success its undo is remembered for a later rollback. */
  async step<T>(name: string, run: () => T | PromiseLike<T>, options: StepOptions = {}): Promise<T> {
    const record: StepProgress = { name, status: 'running', startedAt: now(), hosts: {} };
    this.steps.push(record);
    this.active.push(record);
    this.changed();
    try {
      const value = await this.attempt(name, run, options);
      record.status = 'succeeded';
      if (options.undo) this.remember(record, options);
      return value;
    } catch (err) {
      record.status = 'failed';
      record.error = describeError(err);
      // A step that refused (invalid input: it found the world unfit and changed nothing) has nothing to undo.
      if (options.undo && options.undoOnFailure && !isInvalidInput(err)) {
        if (!isCancellation(err) || patched(UNDO_CANCELLED_STEPS)) this.remember(record, options);
      }
      throw err;
    } finally {
      record.endedAt = now();
      this.active.splice(this.active.indexOf(record), 1);
      this.changed();
      this.ended(record);
    }
  }

  /**
   * Forgets every remembered undo: the run has reversed those steps itself (a drill's teardown), so a later failure
   * has nothing left to roll back.
   */
  release(): void {
    this.undos.splice(0);
  }

  /** True when at least one step has an undo to run. */
  get hasUndos(): boolean {
    return this.undos.length > 0;
  }

  /**
   * Runs every remembered undo, newest first, where cancellation cannot reach them. An undo that keeps failing is
   * recorded and the rest still run; the result says whether the rollback was complete.
   */
  async compensate(): Promise<boolean> {
    let complete = true;
    await CancellationScope.nonCancellable(async () => {
      for (const entry of this.undos.splice(0).reverse()) {
        if (!(await this.undoOne(entry))) complete = false;
      }
    });
    return complete;
  }

  private remember(record: StepProgress, options: StepOptions): void {
    this.undos.push({ record, undo: options.undo!, attempts: options.undoAttempts ?? UNDO_ATTEMPTS });
  }

  private async undoOne({ record, undo, attempts }: Undo): Promise<boolean> {
    record.status = 'undoing';
    this.changed();
    const sink: ProgressSink = { hosts: {}, name: `undo ${record.name}` };
    record.undo = { attempts: 0, hosts: sink.hosts };
    this.active.push(sink);
    try {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        record.undo.attempts = attempt;
        try {
          await undo();
          record.status = 'undone';
          record.undo.error = undefined;
          return true;
        } catch (err) {
          record.undo.error = describeError(err);
          if (attempt < attempts) await sleep(UNDO_BACKOFF_MS * attempt);
        }
      }
      record.status = 'undo-failed';
      return false;
    } finally {
      this.active.splice(this.active.indexOf(sink), 1);
      this.changed();
    }
  }

  private async attempt<T>(name: string, run: () => T | PromiseLike<T>, options: StepOptions): Promise<T> {
    const tries = 1 + (options.retry ?? 0);
    for (let attempt = 1; ; attempt++) {
      try {
        const ms = options.timeoutMs;
        return await (ms ? withDeadline(ms, run, () => stepTimedOut(name, ms)) : run());
      } catch (err) {
        if (attempt >= tries || isCancellation(err)) throw err;
        await sleep((options.retryDelayMs ?? 1_000) * attempt);
      }
    }
  }
}

function stepTimedOut(name: string, ms: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.StepTimedOut,
    message: `step "${name}" did not finish within ${ms} ms`,
    nonRetryable: true,
  });
}
