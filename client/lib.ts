import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { buildPlan } from '../activities/plan';
import { loadConfig, temporalTarget, type LoadedConfig, type TemporalTarget } from '../config';
import type { Decision } from '../workflows/gate';
import { progressQuery, type Approval, type RunProgress, type RunReport } from '../workflows/progress';
import type { SearchAttributePair } from '@temporalio/common';
import { lockId } from '../runbooks/deploy/lock';
import * as sa from '../workflows/search-attributes';
import { failedOutcome, succeeded, type Outcome } from './outcome';

/** Temporal could not be reached: nothing was started (exit code 2 — most often a wrong address in config). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** Options of {@link RunwayClient.start}. */
export interface StartOptions {
  workflowId?: string;
  /** When the service's lock is held, wait for that run to end instead of failing. */
  waitLock?: boolean;
  /** Told who holds the lock, each time the start waits for it. */
  onWaiting?: (holder: string) => void;
}

/** A run refused an approval or rejection: the reason says why (not an approver, nothing awaits a decision). */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** Another deploy or rollback of the same service in the same environment is running: nothing was started. */
export class LockedError extends Error {
  override readonly name = 'LockedError';
  constructor(
    readonly workflowId: string,
    readonly holder: string,
  ) {
    super(`${holder} holds the lock ${workflowId}: wait for it to end, or start with --wait-lock to queue behind it`);
  }
}

/** "deploy api 1.4.2 (run 01a2…, started 2026-11-22T10:00:00Z, status running)" — who holds a lock, in words. */
function lockHolder(description: WorkflowExecutionDescription): string {
  const attrs = description.typedSearchAttributes;
  const version = attrs.get(sa.VERSION);
  const what = [description.type, attrs.get(sa.SERVICE), version].filter(Boolean).join(' ');
  return `${what} (run ${description.runId}, started ${description.startTime.toISOString()})`;
}

/**
 * A small client for scripts and CI: validate and start a runbook, follow its progress, wait for its outcome
 * (with the CLI's exit code), cancel it.
 *
 * ```ts
 * const runway = await RunwayClient.connect({ configFile: 'runway.yml' });
 * const run = await runway.start('exec', { environment: 'staging', role: 'web', command: 'uptime' });
 * const outcome = await runway.wait(run);   // outcome.exitCode: 0 | 1 | 2 | 3 | 4
 * ```
 */
export class RunwayClient {
  private constructor(
    readonly client: Client,
    readonly target: TemporalTarget,
    readonly loaded: LoadedConfig,
    private readonly connection: Connection,
  ) {}

  /** Connects to the Temporal named by the config (or `TEMPORAL_ADDRESS`). */
  static async connect(options: { configFile?: string; loaded?: LoadedConfig } = {}): Promise<RunwayClient> {
    const loaded = options.loaded ?? loadConfig(options.configFile);
    const target = temporalTarget(loaded.config.temporal);
    const connection = await Connection.connect({
      address: target.address,
      tls: target.tls,
      apiKey: target.apiKey,
    }).catch((err: Error) => {
      throw new ConnectionError(`cannot reach Temporal at ${target.address}: ${err.message}`);
    });
    return new RunwayClient(new Client({ connection, namespace: target.namespace }), target, loaded, connection);
  }

  /**
   * Validates the input against the runbook and the config (throws InputError: nothing starts), then starts it.
   * Deploys and rollbacks start under their service's lock id; if one is already running, {@link LockedError} names
   * it — or, with `waitLock`, this waits for it to end and then starts.
   */
  async start(
    runbook: string,
    input: unknown,
    options: StartOptions = {},
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const plan = buildPlan(this.loaded, runbook, input);
    const service = plan.service?.name;
    const workflowId =
      options.workflowId ??
      (service ? lockId(plan.environment, service) : `${runbook}:${plan.environment}:${randomUUID().slice(0, 8)}`);
    const version = (plan.input as { version?: string }).version;
    const attributes: SearchAttributePair[] = [
      { key: sa.RUNBOOK, value: runbook },
      { key: sa.ENVIRONMENT, value: plan.environment },
      { key: sa.STATUS, value: 'running' },
      ...(service ? [{ key: sa.SERVICE, value: service }] : []),
      ...(version ? [{ key: sa.VERSION, value: version }] : []),
    ];
    for (;;) {
      try {
        return await this.client.workflow.start(runbook, {
          taskQueue: this.target.taskQueue,
          workflowId,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: attributes,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const holder = this.handle(workflowId);
        const description = await holder.describe();
        if (!options.waitLock) throw new LockedError(workflowId, lockHolder(description));
        options.onWaiting?.(lockHolder(description));
        await holder.result().catch(() => undefined);
      }
    }
  }

  handle(workflowId: string, runId?: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId, runId);
  }

  /** Waits for the run to end and maps it to an outcome with its exit code. */
  async wait(handle: WorkflowHandle): Promise<Outcome> {
    try {
      return succeeded((await handle.result()) as RunReport);
    } catch (err) {
      const outcome = failedOutcome(err);
      outcome.report ??= await this.progress(handle).catch(() => undefined);
      if (outcome.status === 'cancelled' && outcome.report) {
        const undone = outcome.report.steps.filter((s) => s.status === 'undone').length;
        outcome.message = `${outcome.report.runbook} cancelled; rolled back ${undone} step${undone === 1 ? '' : 's'}`;
      }
      return outcome;
    }
  }

  /** The run's live progress, or undefined when no worker can answer the query. */
  async progress(handle: WorkflowHandle): Promise<RunProgress | undefined> {
    try {
      return await handle.query(progressQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      return undefined;
    }
  }

  /**
   * Approves or rejects the gate a run waits at, as `by`. The run checks `by` against the environment's approvers:
   * anyone else — or a run that is not waiting — is refused with the reason ({@link RefusedError}).
   */
  async decide(workflowId: string, decision: 'approve' | 'reject', by: string, reason?: string): Promise<Approval> {
    try {
      return await this.handle(workflowId).executeUpdate<Approval, [Decision]>(decision, { args: [{ by, reason }] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RefusedError(err.cause?.message ?? err.message);
      throw err;
    }
  }

  /** A link to the run in the Temporal Web UI, when its address is known. */
  link(workflowId: string, runId?: string): string | undefined {
    const base = this.target.uiUrl;
    if (!base) return undefined;
    const id = encodeURIComponent(workflowId);
    return `${base}/namespaces/${this.target.namespace}/workflows/${id}${runId ? `/${runId}` : ''}/history`;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
