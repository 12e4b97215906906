import {
  ApplicationFailure,
  CancelledFailure,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { deliverNotifications } from './deliver-notifications';
import { describeError, FailureType } from './errors';
import { Gatekeeper } from './gate';
import { Notifier } from './notify';
import { progressQuery, type RunProgress, type RunReport, type RunStatus } from './progress';
import { records } from './proxies';
import { runUrl } from '../core/names';
import { runAttributes } from '../core/search-attributes';
import { runMessage } from '../core/slack-message';
import { now } from './time';
import { metrics } from './metrics';
import type { Plan } from '../core/plan';
import type { StepProgress } from './progress';

/** The patch that added Slack hand-over and the audit line at the end of every run. */
export const RUN_END_RECORDS = 'run-end-records';

const FAILURE_TYPE: Partial<Record<RunStatus, string>> = {
  failed: FailureType.RunFailed,
  'rollback-incomplete': FailureType.RollbackIncomplete,
  'timed-out': FailureType.TimedOut,
  rejected: FailureType.Rejected,
  invalid: FailureType.InvalidInput,
};

/**
 * One run's state and its outward signs: the progress (query, report), the search attributes, the Slack message,
 * the approval gates and, at the end, the audit line.
 */
export class Run {
  readonly progress: RunProgress;
  readonly gates: Gatekeeper;
  notifier?: Notifier;
  private windowMs = 0;
  private counted = false;
  private wasPlanned = false;

  constructor(runbook: string, input: unknown) {
    const info = workflowInfo();
    this.progress = {
      runbook,
      environment: stringField(input, 'environment') ?? '',
      workflowId: info.workflowId,
      runId: info.runId,
      status: 'running',
      startedAt: now(),
      steps: [],
      labels: labelsOf(input),
    };
    setHandler(progressQuery, () => this.progress);
    this.gates = new Gatekeeper(this.progress);
    this.gates.install();
  }

  /** The plan is known: the run's environment, its link, and — when configured — its Slack message. */
  planned(plan: Plan): void {
    const { progress } = this;
    progress.environment = plan.environment;
    if (plan.uiUrl) progress.url = runUrl(plan.uiUrl, plan.namespace, progress.workflowId, progress.runId);
    const channel = plan.notify?.slack?.channel;
    if (channel) {
      this.notifier = new Notifier(channel, () => runMessage(progress));
      this.windowMs = plan.notify!.slack!.deliveryWindow;
    }
    this.wasPlanned = true;
    this.setStatus('running');
    this.countStart();
  }

  /**
   * Metric labels of this run, all bounded: names the plan found in config. A run refused before its plan (an unknown
   * environment, a typo'd service) is labelled by its runbook only — never by what its caller typed.
   */
  get metricLabels(): Record<string, string> {
    const { runbook, environment, labels } = this.progress;
    if (!this.wasPlanned) return { runbook, environment: '', service: '' };
    return { runbook, environment, service: labels.service ?? '' };
  }

  private countStart(): void {
    if (this.counted) return;
    this.counted = true;
    metrics.count('runsStarted', this.metricLabels);
  }

  /** A saga step ended: counted by outcome, timed. */
  stepEnded(step: StepProgress): void {
    if (step.status !== 'succeeded' && step.status !== 'failed') return;
    const { runbook } = this.progress;
    metrics.count('steps', { runbook, outcome: step.status });
    if (step.endedAt) metrics.observe('stepDuration', seconds(step.startedAt, step.endedAt), { runbook });
  }

  /** A rollback ran: complete, or not (then the run ends `rollback-incomplete`). */
  rolledBack(complete: boolean): void {
    metrics.count('rollbacks', { ...this.metricLabels, complete: String(complete) });
  }

  setStatus(status: RunStatus): void {
    this.progress.status = status;
    const { labels, environment, runbook } = this.progress;
    upsertSearchAttributes(runAttributes({ runbook, status, environment, ...labels }));
    this.changed();
  }

  /** Something shown outside changed: the Slack message, and the run's current details in the Web UI. */
  changed(): void {
    this.notifier?.changed();
    const { status, steps } = this.progress;
    const step = [...steps].reverse().find((s) => s.status === 'running' || s.status === 'undoing');
    setCurrentDetails(
      `**${status}**${step ? ` · ${step.status === 'undoing' ? 'undoing' : 'step'}: ${step.name}` : ''}`,
    );
  }

  /**
   * Ends the run: final status, Slack (what cannot be delivered now is handed to a `deliverNotifications` workflow
   * that outlives this one), the audit line; then returns the report or throws the failure the CLI maps to an exit code.
   * Call it where cancellation cannot reach.
   */
  async close(status: RunStatus, why?: string): Promise<RunReport> {
    const { progress } = this;
    progress.endedAt = now();
    progress.error = why;
    this.setStatus(status);
    this.countStart();
    metrics.count('runsEnded', { ...this.metricLabels, outcome: status });
    metrics.observe('runDuration', seconds(progress.startedAt, progress.endedAt), {
      runbook: progress.runbook,
      environment: this.metricLabels.environment,
      outcome: status,
    });
    // Runs recorded before runs were announced and audited at their end replay without these two activities.
    if (patched(RUN_END_RECORDS)) await this.record(status, why);
    if (status === 'succeeded') return progress;
    const message = `${progress.runbook} ${status}: ${why ?? 'unknown error'}${rollbackSummary(progress)}`;
    if (status === 'cancelled') throw new CancelledFailure(message);
    throw ApplicationFailure.create({ type: FAILURE_TYPE[status], message, nonRetryable: true, details: [progress] });
  }

  private async record(status: RunStatus, why: string | undefined): Promise<void> {
    const { progress } = this;
    await this.handOverNotifications();
    try {
      await records.audit.executeWithOptions({ summary: `audit line: ${status}` }, [
        {
          at: progress.endedAt ?? now(),
          workflowId: progress.workflowId,
          runId: progress.runId,
          runbook: progress.runbook,
          environment: progress.environment,
          service: progress.labels.service,
          version: progress.labels.version,
          actor: progress.labels.actor,
          status,
          startedAt: progress.startedAt,
          endedAt: progress.endedAt,
          error: why,
          approvals: progress.approvals ?? [],
          undeliveredNotifications: progress.notifications?.undelivered.length ?? 0,
        },
      ]);
    } catch (err) {
      progress.auditError = describeError(err);
    }
  }

  private async handOverNotifications(): Promise<void> {
    const pending = await this.notifier?.finish();
    if (!pending) return;
    const undelivered = [
      ...(pending.state ? [`run message: ${pending.state.text}`] : []),
      ...pending.replies.map((r) => `reply: ${r.text}`),
    ];
    const workflowId = `notify:${this.progress.workflowId}:${this.progress.runId}`;
    await startChild(deliverNotifications, {
      workflowId,
      args: [{ ...pending, windowMs: this.windowMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    this.progress.notifications = { undelivered, retriedBy: workflowId };
    metrics.count('slackUndelivered', { runbook: this.progress.runbook }, undelivered.length);
  }
}

/** `; rolled back N steps`, or the undos that failed — the part of a run's message an operator reads first. */
export function rollbackSummary(progress: RunProgress): string {
  const undone = progress.steps.filter((s) => s.status === 'undone').length;
  const failedUndos = progress.steps.filter((s) => s.status === 'undo-failed').map((s) => `"${s.name}"`);
  if (failedUndos.length > 0) return `; rollback INCOMPLETE: undo of ${failedUndos.join(', ')} failed — needs a human`;
  return undone > 0 ? `; rolled back ${undone} step${undone === 1 ? '' : 's'}` : '';
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

function stringField(input: unknown, key: string): string | undefined {
  const value = (input as Record<string, unknown> | null)?.[key];
  return typeof value === 'string' ? value : undefined;
}

function labelsOf(input: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of ['service', 'version', 'actor'] as const) {
    const value = stringField(input, key);
    if (value) labels[key] = value;
  }
  return labels;
}
