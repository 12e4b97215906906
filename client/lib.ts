import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowNotFoundError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { buildPlan } from '../activities/plan';
import { loadConfig, temporalTarget, type LoadedConfig, type TemporalTarget } from '../config';
import { progressQuery, type RunProgress, type RunReport } from '../workflows/progress';
import * as sa from '../workflows/search-attributes';
import { failedOutcome, succeeded, type Outcome } from './outcome';

/** Temporal could not be reached: nothing was started (exit code 2 — most often a wrong address in config). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** Options of {@link RunwayClient.start}. */
export interface StartOptions {
  workflowId?: string;
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

  /** Validates the input against the runbook and the config (throws InputError: nothing starts), then starts it. */
  async start(
    runbook: string,
    input: unknown,
    options: StartOptions = {},
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const plan = buildPlan(this.loaded, runbook, input);
    const workflowId = options.workflowId ?? `${runbook}:${plan.environment}:${randomUUID().slice(0, 8)}`;
    return this.client.workflow.start(runbook, {
      taskQueue: this.target.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: [
        { key: sa.RUNBOOK, value: runbook },
        { key: sa.ENVIRONMENT, value: plan.environment },
        { key: sa.STATUS, value: 'running' },
      ],
    });
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
