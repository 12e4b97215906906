import { commandFailed, describeError, isCancellation } from './errors';
import { mapLimit, type Settled } from './pool';
import { tail, type HostProgress } from './progress';
import { buildCommand, type ShellValue } from '../core/quote';
import { someOf } from '../core/batches';
import { elapsed, now } from './time';
import type { ExecRequest, ExecResult, HostRef, PlanTiming } from '../core/plan';
import type { HostCounts } from '../core/progress';
import { failed, runInChildren, type FanoutSettings, type HostOutcome } from './host-tasks';
import type { SecretRef } from '../config/secret';

/** Where a command's per-host progress is written: the running step, or the undo of a step being rolled back. */
export interface ProgressSink {
  hosts: Record<string, HostProgress>;
  /** Set for a command run in child workflows: hosts by outcome (then `hosts` lists only those that did not succeed). */
  counts?: HostCounts;
  /** The step (or undo) the commands belong to, named in each command's summary in the Web UI. */
  name?: string;
}

/** What a {@link Command} needs from the run it belongs to. */
export interface CommandRunner {
  /** Runs one command; `summary` ("<step> · <host>") is what the Web UI shows for the activity. */
  exec(request: ExecRequest, summary?: string): Promise<ExecResult>;
  sink(label: string): ProgressSink;
  concurrency: number;
  /** Above `childAbove` hosts, a command runs in `hostTasks` child workflows (see host-tasks.ts). */
  fanout?: FanoutSettings;
  timing?: PlanTiming;
  /** Numbers the run's child workflows. */
  nextChild?: () => number;
}

/** A command on one host resolves to that host's result; on several hosts, to one result per host, in order. */
export type Results<Many extends boolean> = Many extends true ? ExecResult[] : ExecResult;

/**
 * One command on a set of hosts, started when first awaited (so `.nothrow()` can be chained before it runs).
 * Like zx: a non-zero exit rejects, unless `.nothrow()`. Transport trouble is retried by the activity itself.
 */
export class Command<Many extends boolean> implements PromiseLike<Results<Many>> {
  private throws = true;
  private timeoutMs?: number;
  private secrets?: Record<string, SecretRef>;
  private started?: Promise<Results<Many>>;

  constructor(
    private readonly runner: CommandRunner,
    private readonly hosts: HostRef[],
    private readonly many: Many,
    readonly command: string | ((host: HostRef) => string),
  ) {}

  /** The command line on one host (a per-host command renders each host's own). */
  private lineFor(host: HostRef): string {
    return typeof this.command === 'string' ? this.command : this.command(host);
  }

  private get label(): string {
    return typeof this.command === 'string' ? this.command : this.lineFor(this.hosts[0]);
  }

  /** Resolve with the results even when the command exits non-zero. */
  nothrow(): this {
    this.throws = false;
    return this;
  }

  /** Kill the command on a host if it runs longer than this many milliseconds. */
  timeout(ms: number): this {
    this.timeoutMs = ms;
    return this;
  }

  /** Give the command environment variables from secret references (resolved on the worker, never recorded). */
  env(secrets: Record<string, SecretRef> | undefined): this {
    if (secrets && Object.keys(secrets).length > 0) this.secrets = secrets;
    return this;
  }

  then<A = Results<Many>, B = never>(
    onFulfilled?: ((value: Results<Many>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.started ??= this.execute();
    return this.started.then(onFulfilled, onRejected);
  }

  private async execute(): Promise<Results<Many>> {
    const sink = this.runner.sink(this.label);
    const { fanout, timing } = this.runner;
    // A command that throws on failure also stops starting it on more hosts (fail fast); `.nothrow()` runs everywhere.
    const settled =
      fanout && timing && this.runner.nextChild && this.hosts.length > fanout.childAbove
        ? await this.inChildren(sink, fanout, timing)
        : await mapLimit(this.hosts, this.runner.concurrency, (host) => this.onHost(host, sink), {
            stopOnError: this.throws,
            stopWhen: (result) => this.throws && result.exitCode !== 0,
          });
    const cancelled = settled.find((s) => s.status === 'rejected' && isCancellation(s.reason));
    if (cancelled && cancelled.status === 'rejected') throw cancelled.reason;
    const problems: string[] = [];
    const results: ExecResult[] = [];
    settled.forEach((s, i) => {
      const name = this.hosts[i].name;
      if (s.status === 'skipped' && !sink.counts)
        sink.hosts[name] = { status: 'skipped', command: tail(this.label, 200), startedAt: now() };
      if (s.status === 'rejected') problems.push(`${name}: ${describeError(s.reason)}`);
      if (s.status === 'fulfilled') {
        results.push(s.value);
        if (s.value.exitCode !== 0) problems.push(`${name}: exited ${s.value.exitCode}${lastLine(s.value.stderr)}`);
      }
    });
    const unreachable = settled.some((s) => s.status === 'rejected');
    if (problems.length > 0 && (this.throws || unreachable)) {
      const where = this.hosts.length > 1 ? ` on ${problems.length} of ${this.hosts.length} hosts` : '';
      throw commandFailed(`command failed${where}: ${someOf(problems, 10, '; ')}`, results);
    }
    return (this.many ? results : results[0]) as Results<Many>;
  }

  /**
   * The command on many hosts, in `hostTasks` child workflows. The step keeps counts, and an entry for each host
   * that did not succeed; the children's histories hold the rest.
   */
  private async inChildren(
    sink: ProgressSink,
    fanout: FanoutSettings,
    timing: PlanTiming,
  ): Promise<Settled<ExecResult>[]> {
    const counts: HostCounts = { succeeded: 0, failed: 0, skipped: 0 };
    sink.counts = counts;
    const startedAt = now();
    const requests = this.hosts.map((host) => {
      const request: ExecRequest = { host, command: this.lineFor(host), timeoutMs: this.timeoutMs };
      if (this.secrets) request.secrets = this.secrets;
      return request;
    });
    const tasks = requests.map((request) => ({ kind: 'exec' as const, request }));
    const outcomes = await runInChildren(tasks, fanout, {
      timing,
      concurrency: this.runner.concurrency,
      failFast: this.throws,
      label: tail(sink.name ?? this.label, 150),
      nextChild: this.runner.nextChild!,
      onGroup: (first, group) =>
        group.forEach((o, i) => {
          if (o.status === 'skipped') return;
          if (!failed(o)) return void counts.succeeded++;
          counts.failed++;
          const request = requests[first + i];
          sink.hosts[request.host.name] = hostEntry(request.command, startedAt, o);
        }),
    });
    counts.skipped = outcomes.filter((o) => o.status === 'skipped').length;
    return outcomes.map((o): Settled<ExecResult> => {
      if (o.status === 'fulfilled') return { status: 'fulfilled', value: o.value };
      if (o.status === 'rejected') return { status: 'rejected', reason: new Error(o.error) };
      return { status: 'skipped' };
    });
  }

  private async onHost(host: HostRef, sink: ProgressSink): Promise<ExecResult> {
    const command = this.lineFor(host);
    const entry: HostProgress = { status: 'running', command: tail(command, 200), startedAt: now() };
    sink.hosts[host.name] = entry;
    try {
      const request: ExecRequest = { host, command, timeoutMs: this.timeoutMs };
      if (this.secrets) request.secrets = this.secrets;
      const result = await this.runner.exec(request, tail(`${sink.name ?? this.label} · ${host.name}`, 200));
      Object.assign(entry, {
        status: result.exitCode === 0 ? 'succeeded' : 'failed',
        exitCode: result.exitCode,
        stdoutTail: tail(result.stdout),
        stderrTail: tail(result.stderr),
        durationMs: result.durationMs,
        reattached: result.reattached || undefined,
      });
      return result;
    } catch (err) {
      Object.assign(entry, { status: 'failed', error: describeError(err), durationMs: elapsed(entry.startedAt) });
      throw err;
    }
  }
}

/** A failed host's entry in a step's progress, from its outcome in a child workflow. */
function hostEntry(command: string, startedAt: string, o: HostOutcome): HostProgress {
  const entry: HostProgress = { status: 'failed', command: tail(command, 200), startedAt };
  if (o.status === 'rejected') return { ...entry, error: o.error };
  if (o.status !== 'fulfilled') return entry;
  const r = o.value;
  return {
    ...entry,
    exitCode: r.exitCode,
    stdoutTail: tail(r.stdout),
    stderrTail: tail(r.stderr),
    durationMs: r.durationMs,
  };
}

function lastLine(stderr: string): string {
  const line = stderr.trimEnd().split('\n').pop()?.trim();
  return line ? ` (${tail(line, 200)})` : '';
}

/** Builds commands for a fixed set of hosts: `$` quotes every value, `run` takes a script as literal shell text. */
export class Remote<Many extends boolean> {
  constructor(
    private readonly runner: CommandRunner,
    readonly hosts: HostRef[],
    private readonly many: Many,
  ) {}

  /** A command with every interpolated value shell-quoted; arrays become several words. */
  $ = (pieces: TemplateStringsArray, ...values: ShellValue[]): Command<Many> =>
    new Command(this.runner, this.hosts, this.many, buildCommand(pieces, values));

  /**
   * A script taken literally — for command lines an operator wrote, never for values built from input. A function
   * renders each host's own script (its address, its directories), with values quoted by the caller.
   */
  run(script: string | ((host: HostRef) => string)): Command<Many> {
    return new Command(this.runner, this.hosts, this.many, script);
  }
}
