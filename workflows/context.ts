import { hostActivities } from './proxies';
import { Remote, type CommandRunner } from './command';
import { invalidInput as invalid } from '../core/failures';
import { batches, mapLimit } from './pool';
import { describeError } from './errors';
import { runInChildren, type HostTask } from './host-tasks';
import { metrics } from './metrics';
import { now } from './time';
import type { Run } from './run';
import type { StepOptions, Saga } from './saga';
import type {
  ExecRequest,
  ExecResult,
  HostRef,
  HttpProbeRequest,
  HttpProbeResult,
  Plan,
  TlsProbeRequest,
  TlsProbeResult,
  TransferResult,
  UploadRequest,
  UploadResult,
} from '../core/plan';

/**
 * What a runbook body works with: its validated input, the resolved plan (hosts, roles, settings), commands on hosts
 * and saga steps. Everything here is deterministic; all I/O goes through activities.
 */
export class Runbook<I = Record<string, unknown>> {
  private readonly runner: CommandRunner;
  /** Child workflows this run started (host fan-outs), numbering their ids. */
  private children = 0;

  constructor(
    readonly plan: Plan<I>,
    private readonly saga: Saga,
    private readonly run: Run,
  ) {
    const activities = hostActivities(plan.timing);
    this.runner = {
      exec: (request: ExecRequest, summary?: string) =>
        summary ? activities.sshExec.executeWithOptions({ summary }, [request]) : activities.sshExec(request),
      sink: (label) => saga.sink(label),
      concurrency: plan.concurrency,
      fanout: plan.fanout,
      timing: plan.timing,
      nextChild: () => ++this.children,
    };
  }

  /** The run's input, validated and with defaults applied. */
  get input(): I {
    return this.plan.input;
  }

  get environment(): string {
    return this.plan.environment;
  }

  /** The environment's hosts, or those with the given role, in config order. */
  hosts(role?: string): HostRef[] {
    if (role === undefined) return [...this.plan.hosts];
    const found = this.plan.hosts.filter((h) => h.roles.includes(role));
    if (found.length === 0) throw invalid(`no host in ${this.environment} has role "${role}"`);
    return found;
  }

  /** One host by name. */
  host(name: string): HostRef {
    const found = this.plan.hosts.find((h) => h.name === name);
    if (!found) throw invalid(`no host "${name}" in ${this.environment}`);
    return found;
  }

  /** Commands on one host (results are single) or on several / a role (results are per host, in order). */
  on(target: HostRef): Remote<false>;
  on(target: HostRef[] | string, options?: { concurrency?: number }): Remote<true>;
  on(target: HostRef | HostRef[] | string, options: { concurrency?: number } = {}): Remote<boolean> {
    const runner = options.concurrency ? { ...this.runner, concurrency: options.concurrency } : this.runner;
    if (typeof target === 'string') return new Remote(runner, this.hosts(target), true);
    if (Array.isArray(target)) return new Remote(runner, target, true);
    return new Remote(runner, [target], false);
  }

  /** A saga step: see {@link StepOptions}. */
  step<T>(name: string, run: () => T | PromiseLike<T>, options?: StepOptions): Promise<T> {
    return this.saga.step(name, run, options);
  }

  /** Consecutive batches of hosts, by count or percentage (`'25%'`). */
  batches(hosts: HostRef[], size: number | string): HostRef[][] {
    return batches(hosts, size);
  }

  /** Uploads a file from the worker's machine to every host, verified by sha256 there. */
  upload(hosts: HostRef[], localPath: string, remotePath: string, mode?: number): Promise<UploadResult[]> {
    return this.uploadEach(hosts.map((host) => ({ host, localPath, remotePath, mode })));
  }

  /** Uploads each host its own file (or to its own path); above `fanout.childAbove` hosts, in child workflows. */
  async uploadEach(requests: UploadRequest[]): Promise<UploadResult[]> {
    const { fanout } = this.plan;
    if (fanout && requests.length > fanout.childAbove) {
      const outcomes = await this.inChildren(
        requests.map((request) => ({ kind: 'upload' as const, request })),
        `upload ${requests[0].remotePath}`,
      );
      return outcomes.map((o, i) => {
        if (o.status === 'fulfilled') return o.value;
        throw new Error(`${requests[i].host.name}: ${o.status === 'rejected' ? o.error : 'not uploaded'}`);
      });
    }
    const activities = hostActivities(this.plan.timing);
    const settled = await mapLimit(requests, this.plan.concurrency, (request) =>
      activities.sshUpload.executeWithOptions({ summary: `upload ${request.remotePath} · ${request.host.name}` }, [
        request,
      ]),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed && failed.status === 'rejected') throw failed.reason;
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * Health probes of many instances at once, one per host: each host's result, or why it never answered as expected.
   * Above `fanout.childAbove` hosts they run in child workflows.
   */
  async probeEach(probes: Array<{ host: string; request: HttpProbeRequest }>): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    const { fanout } = this.plan;
    if (fanout && probes.length > fanout.childAbove) {
      const outcomes = await this.inChildren(
        probes.map((p) => ({ kind: 'probe' as const, ...p })),
        'health',
      );
      outcomes.forEach((o, i) => {
        if (o.status !== 'fulfilled') failures.set(probes[i].host, o.status === 'rejected' ? o.error : 'not probed');
      });
      return failures;
    }
    await mapLimit(probes, this.plan.concurrency, async ({ host, request }) => {
      try {
        await this.probe(request);
      } catch (err) {
        failures.set(host, describeError(err));
      }
    });
    return failures;
  }

  private inChildren<T extends HostTask>(tasks: T[], label: string) {
    return runInChildren(tasks, this.plan.fanout!, {
      timing: this.plan.timing,
      concurrency: this.plan.concurrency,
      failFast: false,
      label,
      nextChild: () => ++this.children,
    });
  }

  /** Copies a file from one host to another through the worker, verified by sha256 on the target. */
  transfer(from: HostRef, fromPath: string, to: HostRef, toPath: string, sha256?: string): Promise<TransferResult> {
    return hostActivities(this.plan.timing).sshTransfer.executeWithOptions(
      { summary: `copy ${from.name}:${fromPath} → ${to.name}:${toPath}` },
      [{ from, fromPath, to, toPath, sha256 }],
    );
  }

  /**
   * An approval gate, when the environment requires one: the run waits (status `awaiting-approval`, a Slack thread
   * reply says who may approve and how) until an approver approves — or rejects, or the timeout passes, which fail the
   * run and so roll it back. Without an approval policy it returns at once.
   */
  async gate(name: string): Promise<void> {
    const policy = this.plan.approval;
    if (!policy) return;
    const { progress } = this.run;
    const command = `runway approve ${progress.workflowId} --as <name>`;
    this.run.notifier?.reply(
      `✋ approval needed for "${name}": \`${command}\` (approvers: ${policy.approvers.map((a) => a.name).join(', ')})`,
    );
    this.run.setStatus('awaiting-approval');
    const labels = this.run.metricLabels;
    metrics.set('gateTimeout', policy.timeout / 1000, labels);
    metrics.set('gateWaitingSince', Date.parse(now()) / 1000, labels);
    try {
      await this.saga.step(`approval: ${name}`, async () => {
        const decision = await this.run.gates.gate(name, policy.approvers, policy.timeout);
        const signed = decision.signedWith ? ` (signed with ${decision.signedWith})` : '';
        this.run.notifier?.reply(`👍 "${name}" approved by ${decision.by}${signed}`);
      });
    } finally {
      metrics.set('gateWaitingSince', 0, labels);
    }
    this.run.setStatus('running');
  }

  /**
   * Registers an undo ahead of the steps that create what it removes (a scratch database, a started app): it runs if
   * anything after it fails, times out or is cancelled — even a step killed half-way — newest first, like any undo.
   * The undo must be safe when there is nothing to remove.
   */
  teardown(name: string, undo: () => unknown): Promise<void> {
    return this.saga.step(name, () => undefined, { undo });
  }

  /** The steps so far were reversed by the run itself (a teardown): a later failure does not undo them again. */
  release(): void {
    this.saga.release();
  }

  /** What the run found or measured (a copy's id, a drill's RTO): kept in its report, shown by the CLI. */
  result(values: Record<string, unknown>): void {
    this.run.progress.result = { ...this.run.progress.result, ...values };
  }

  /** A line in the run's Slack thread, when Slack is configured. */
  notify(text: string): void {
    this.run.notifier?.reply(text);
  }

  /** Sets a label (service, version, actor) shown in reports, Slack and the search attributes. */
  label(key: 'service' | 'version' | 'actor', value: string): void {
    this.run.progress.labels[key] = value;
    this.run.setStatus(this.run.progress.status);
  }

  /** A TLS handshake from the worker: the certificate an endpoint serves, or why it served none. */
  tls(request: TlsProbeRequest): Promise<TlsProbeResult> {
    return hostActivities(this.plan.timing).tlsProbe.executeWithOptions(
      { summary: `TLS handshake ${request.address}:${request.port} (SNI ${request.servername})` },
      [request],
    );
  }

  /** Polls a URL until it answers as expected or the deadline passes. */
  probe(request: HttpProbeRequest): Promise<HttpProbeResult> {
    return hostActivities(this.plan.timing).httpProbe.executeWithOptions({ summary: `health ${request.url}` }, [
      request,
    ]);
  }
}

export type { ExecResult };
