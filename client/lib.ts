import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { buildPlan } from '../activities/plan';
import { InputError, loadClientConfig, temporalTarget, type ClientConfig, type LoadedConfig } from '../config';
import { runSummaryLine } from '../core/run-summary';
import { APPROVE_UPDATE, lockId, PROGRESS_QUERY, REJECT_UPDATE, runUrl, subjectRunId } from '../core/names';
import type { Approval, Decision, RunProgress, RunReport } from '../core/progress';
import { ENVIRONMENT, RUNBOOK, runAttributes, SERVICE, STATUS, VERSION } from '../core/search-attributes';
import { runsQuery, type RunRow, type RunsFilter } from '../core/runs';
import type { TemporalTarget } from '../config/temporal';
import { dataConverterOf } from '../config/encryption';
import { parseRunInput } from '../runbooks/registry';
import type { HostOutcome } from '../workflows/host-tasks';
import { ConnectionError, LockedError, lockHolder, RefusedError, SetupError } from './errors';
import { ExitCode, failedOutcome, succeeded, type Outcome } from './outcome';

export { ConnectionError, LockedError, RefusedError, SetupError } from './errors';

/** Options of {@link RunwayClient.start}. */
export interface StartOptions {
  workflowId?: string;
  /** When the service's lock is held, wait for that run to end instead of failing. */
  waitLock?: boolean;
  /** Told who holds the lock, each time the start waits for it. */
  onWaiting?: (holder: string) => void;
  /** How long to wait for the worker's verdict on the plan (default {@link PLAN_VERDICT_MS}); 0 does not wait. */
  verdictMs?: number;
  /** Told once when no worker has resolved the plan after {@link PLAN_PATIENCE_MS} (none polling the task queue?). */
  onUnplanned?: (taskQueue: string) => void;
}

/**
 * Where a client with the complete runway.yml checks an artifact: here, before anything starts. A CI machine that is
 * not the worker uses a runway.yml with only the `temporal` section instead, and the worker checks it.
 */
const EARLY_CHECK =
  'on this machine (with a complete runway.yml the CLI checks early; one with only temporal: leaves it to the worker)';

/** The search attribute status of a run a client started and no worker has planned yet. */
export const PLANNING = 'planning';
/** After this long without a verdict, `start` says it is still waiting for a worker. */
export const PLAN_PATIENCE_MS = 3_000;
/** How long `start` waits for a worker to accept or refuse the plan before returning without a verdict. */
export const PLAN_VERDICT_MS = 20_000;

/** The child workflows a run started, in order, from its history's events. */
export function childWorkflowIds(
  events:
    | Array<{ startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId?: string | null } | null }>
    | null
    | undefined,
): string[] {
  return (events ?? []).flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
}

/** One host's outcome in a child workflow of a run (see {@link RunwayClient.childOutcomes}). */
export type ChildOutcome = HostOutcome<unknown> & { child: string };

/**
 * A small client for scripts and CI: start a runbook, follow its progress, wait for its outcome (with the CLI's exit
 * code), decide gates, cancel. It needs only where Temporal is — the `temporal` section, or `TEMPORAL_ADDRESS`: the
 * worker resolves hosts, services and artifacts from its own config, and a refusal comes back as an {@link InputError}.
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
    readonly config: ClientConfig,
    private readonly connection: Connection,
  ) {}

  /**
   * Connects to the Temporal named by the config (or `TEMPORAL_ADDRESS`), with the payload codec its
   * `temporal.encryption` asks for (inputs are encrypted before they leave, results and progress decrypted here).
   */
  static async connect(
    options: { configFile?: string; config?: ClientConfig; loaded?: LoadedConfig } = {},
  ): Promise<RunwayClient> {
    const { loaded } = options;
    const config =
      options.config ??
      (loaded
        ? { file: loaded.file, temporal: loaded.config.temporal, full: loaded }
        : loadClientConfig(options.configFile));
    const target = temporalTarget(config.temporal);
    const dataConverter = dataConverterOf(config.temporal);
    const connection = await Connection.connect({
      address: target.address,
      tls: target.tls,
      apiKey: target.apiKey,
    }).catch((err: Error) => {
      throw new ConnectionError(`cannot reach Temporal at ${target.address}: ${err.message}`);
    });
    const client = new Client({ connection, namespace: target.namespace, dataConverter });
    return new RunwayClient(client, target, config, connection);
  }

  /**
   * Validates the input against the runbook's schema (and, when the full config is here, its names), starts the run,
   * and waits for the worker's verdict on its plan: a refusal — unknown service, missing artifact — throws
   * {@link InputError} with the worker's words, and nothing has changed on any host. Deploys and rollbacks start
   * under their service's lock id; if one is already running, {@link LockedError} names it — or, with `waitLock`, this
   * waits for it to end and then starts.
   */
  async start(
    runbook: string,
    input: unknown,
    options: StartOptions = {},
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const parsed = parseRunInput<Record<string, unknown> & { environment: string }>(runbook, input);
    if (this.config.full) buildPlan(this.config.full, runbook, input, { where: EARLY_CHECK, secrets: false });
    const { environment } = parsed;
    const service = typeof parsed.service === 'string' ? parsed.service : undefined;
    const version = typeof parsed.version === 'string' ? parsed.version : undefined;
    const subject = [parsed.set, parsed.drill, parsed.certificate].find((v): v is string => typeof v === 'string');
    const workflowId =
      options.workflowId ??
      (service
        ? lockId(environment, service)
        : subject
          ? subjectRunId(runbook, subject)
          : `${runbook}:${environment ?? 'all'}:${randomUUID().slice(0, 8)}`);
    const attributes = runAttributes({ runbook, status: PLANNING, environment, service, version });
    for (;;) {
      try {
        const handle = await this.client.workflow.start(runbook, {
          taskQueue: this.target.taskQueue,
          workflowId,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: attributes,
          staticSummary: runSummaryLine(runbook, parsed),
          ...(typeof parsed.actor === 'string' && { memo: { actor: parsed.actor } }),
        });
        await this.verdict(handle, options.verdictMs ?? PLAN_VERDICT_MS, options.onUnplanned);
        return handle;
      } catch (err) {
        if (
          /no mapping defined for search attribute/i.test(((err as Error).cause as Error | undefined)?.message ?? '')
        ) {
          throw new SetupError(
            `namespace ${this.target.namespace} lacks Runway's search attributes: start \`runway worker\` once (it ` +
              `registers them), or see its message for the \`temporal operator search-attribute create\` commands`,
          );
        }
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const holder = this.handle(workflowId);
        const description = await holder.describe();
        if (!options.waitLock) throw new LockedError(workflowId, lockHolder(description));
        options.onWaiting?.(lockHolder(description));
        await holder.result().catch(() => undefined);
      }
    }
  }

  /**
   * Waits until the worker has resolved the run's plan (its status leaves `planning`) or the run has ended. A run the
   * worker refused ends `invalid`: that becomes an {@link InputError} with the worker's message. Without a worker
   * polling, it returns after `ms` and the run starts when one does.
   */
  private async verdict(handle: WorkflowHandle, ms: number, onUnplanned?: (taskQueue: string) => void): Promise<void> {
    const started = Date.now();
    let told = false;
    for (const deadline = started + ms; Date.now() < deadline; await pause(100)) {
      const description = await handle.describe();
      const status = description.typedSearchAttributes.get(STATUS);
      if (description.status.name === 'RUNNING' && status === PLANNING) {
        if (!told && Date.now() - started > PLAN_PATIENCE_MS) onUnplanned?.(this.target.taskQueue);
        told ||= Date.now() - started > PLAN_PATIENCE_MS;
        continue;
      }
      // Planned — unless it is `invalid`: refused, and still writing its Slack message and audit line.
      if (description.status.name === 'RUNNING' && status !== 'invalid') return;
      const outcome = await this.wait(handle);
      if (outcome.exitCode === ExitCode.Invalid) throw new InputError(outcome.report?.error ?? outcome.message);
      return;
    }
  }

  /**
   * Runway's runs from Temporal's visibility, newest first: running and ended, narrowed by `filter`, at most `limit`.
   * The actor comes from the run's memo (set when a client or a schedule started it).
   */
  async runs(filter: RunsFilter, limit = 50): Promise<RunRow[]> {
    const rows: RunRow[] = [];
    for await (const info of this.client.workflow.list({ query: runsQuery(filter) })) {
      const attributes = info.typedSearchAttributes;
      const ended = info.closeTime?.toISOString();
      const actor = (info.memo as { actor?: unknown } | undefined)?.actor;
      rows.push({
        workflowId: info.workflowId,
        runId: info.runId,
        startedAt: info.startTime.toISOString(),
        endedAt: ended,
        runbook: attributes.get(RUNBOOK) ?? info.type,
        service: attributes.get(SERVICE),
        version: attributes.get(VERSION),
        environment: attributes.get(ENVIRONMENT),
        actor: typeof actor === 'string' ? actor : undefined,
        status: attributes.get(STATUS) ?? info.status.name.toLowerCase(),
        durationMs: info.closeTime ? info.closeTime.getTime() - info.startTime.getTime() : undefined,
      });
      if (rows.length >= limit) break;
    }
    return rows;
  }

  handle(workflowId: string, runId?: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId, runId);
  }

  /**
   * Each host's outcome in the child workflows a run started for its large fan-outs (the run's own steps keep
   * counts and the hosts that did not succeed), in the order it started them. A child that did not complete (the run
   * was cancelled) is one entry naming it, with no host.
   */
  async childOutcomes(workflowId: string, runId?: string): Promise<ChildOutcome[]> {
    const ids = childWorkflowIds((await this.handle(workflowId, runId).fetchHistory()).events);
    const out: ChildOutcome[] = [];
    for (const id of ids) {
      try {
        out.push(...((await this.handle(id).result()) as ChildOutcome[]).map((o) => ({ ...o, child: id })));
      } catch (err) {
        out.push({ child: id, status: 'rejected', error: `child workflow ${id}: ${(err as Error).message}` });
      }
    }
    return out;
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
      return await handle.query<RunProgress>(PROGRESS_QUERY);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      return undefined;
    }
  }

  /**
   * Approves or rejects the gate a run waits at, as `by`. The run checks `by` against the environment's approvers:
   * anyone else — or a run that is not waiting — is refused with the reason ({@link RefusedError}). An approver with
   * a key must sign (`signed`, made for that run: the update goes to that run only).
   */
  async decide(
    workflowId: string,
    decision: 'approve' | 'reject',
    by: string,
    reason?: string,
    signed?: { signature: string; runId: string },
  ): Promise<Approval> {
    const update = decision === 'approve' ? APPROVE_UPDATE : REJECT_UPDATE;
    const input: Decision = { by, reason, ...(signed && { signature: signed.signature }) };
    try {
      return await this.handle(workflowId, signed?.runId).executeUpdate<Approval, [Decision]>(update, {
        args: [input],
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RefusedError(err.cause?.message ?? err.message);
      throw err;
    }
  }

  /** A link to the run in the Temporal Web UI, when its address is known. */
  link(workflowId: string, runId?: string): string | undefined {
    return this.target.uiUrl && runUrl(this.target.uiUrl, this.target.namespace, workflowId, runId);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
