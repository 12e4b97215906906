import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { configPath, InputError, loadClientConfig, parseDuration, type ClientConfig } from '../../config';
import { parseRunInput } from '../../runbooks/registry';
import { RunwayClient } from '../lib';
import { follow } from '../follow';
import { ExitCode, type Outcome } from '../outcome';
import { renderLines } from '../render';

/** The global `--config` option, when given. */
function explicitConfig(command: Command): string | undefined {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts<{ config?: string }>().config;
}

/** The config the client reads (read before Temporal is reached, so a bad file is refused first). */
export function clientConfigOf(command: Command): ClientConfig {
  return loadClientConfig(explicitConfig(command));
}

/** The config file chosen by the global `--config` option, `$RUNWAY_CONFIG`, or `./runway.yml`. */
export function configFileOf(command: Command): string {
  return configPath(explicitConfig(command));
}

/**
 * Runs `fn` with a connected client, closing it afterwards. The client reads the same file, but needs only its
 * `temporal:` section — or, with no file there and none named, `TEMPORAL_ADDRESS`.
 */
export async function withClient<T>(
  command: Command,
  fn: (runway: RunwayClient) => Promise<T>,
  config = loadClientConfig(explicitConfig(command)),
): Promise<T> {
  const runway = await RunwayClient.connect({ config });
  try {
    return await fn(runway);
  } finally {
    await runway.close();
  }
}

/** Who is acting: `--as`, then the GitHub Actions user, then the login name. */
export function actorOf(opts: { as?: string }): string {
  return opts.as || process.env.GITHUB_ACTOR || userInfo().username;
}

/** Refuses a bad input before any config is read or Temporal reached, in the words the worker would use. */
export function checkInput(runbook: string, input: unknown): void {
  parseRunInput(runbook, input);
}

/** Said on stderr while a started run waits for a worker to resolve its plan. */
export function noWorkerYet(taskQueue: string): void {
  console.error(`waiting for a worker to resolve the plan: is one polling task queue ${taskQueue}?`);
}

/** Prints how a run ended: the report as JSON, or its steps, the message and the link. */
export function printOutcome(outcome: Outcome, json: boolean, link?: string): void {
  if (json) {
    console.log(
      JSON.stringify(
        { exitCode: outcome.exitCode, status: outcome.status, message: outcome.message, report: outcome.report },
        null,
        2,
      ),
    );
    return;
  }
  const stream = outcome.exitCode === 0 ? console.log : console.error;
  stream(outcome.exitCode === 0 ? outcome.message : `${outcome.message} (exit ${outcome.exitCode})`);
  if (link ?? outcome.report?.url) console.log(`run: ${link ?? outcome.report?.url}`);
}

/** The final step lines of a run, for commands that did not show live progress. */
export function printSteps(outcome: Outcome): void {
  if (outcome.report) console.log(renderLines(outcome.report).join('\n'));
}

/**
 * Runs a read-only runbook (a status report) to its end — or, when no worker answers within `within` (default 2m),
 * stops it, says so and returns undefined: a monitor calling the CLI must not hang.
 */
export async function readOnlyRun(
  runway: RunwayClient,
  runbook: string,
  input: object,
  within = '2m',
): Promise<Outcome | undefined> {
  const ms = parseDuration(within);
  if (ms === undefined)
    throw new InputError(`--within: expected a duration like 30s or 2m, got ${JSON.stringify(within)}`);
  const deadline = Date.now() + ms;
  const handle = await runway.start(runbook, input, { onUnplanned: noWorkerYet, verdictMs: Math.min(ms, 20_000) });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()));
  });
  const outcome = await Promise.race([runway.wait(handle), late]).finally(() => clearTimeout(timer));
  if (!outcome) {
    await handle.terminate(`no answer within ${within}`).catch(() => undefined);
    console.error(`runway: no answer within ${within}: is a worker polling task queue ${runway.target.taskQueue}?`);
  }
  return outcome;
}

/** How a run on one subject (a set, a drill, a certificate) is started from the CLI. */
export interface StartOptions {
  as?: string;
  timeout?: string;
  detach?: boolean;
  waitLock?: boolean;
  json?: boolean;
}

/**
 * Starts a run about one subject under its lock id and follows it to its end (or prints its id with `--detach`),
 * printing the report's plain values; returns the exit code.
 */
export async function startAndFollow(
  runbook: string,
  fields: object,
  opts: StartOptions,
  command: Command,
): Promise<number> {
  const input = { ...fields, actor: actorOf(opts), ...(opts.timeout ? { timeout: opts.timeout } : {}) };
  checkInput(runbook, input);
  return withClient(command, async (runway) => {
    const handle = await runway.start(runbook, input, {
      onUnplanned: noWorkerYet,
      waitLock: opts.waitLock,
      onWaiting: (holder) => console.error(`waiting for the lock: ${holder}`),
    });
    const link = runway.link(handle.workflowId, handle.firstExecutionRunId);
    if (opts.detach) {
      console.log(`started ${handle.workflowId}${link ? `\nrun: ${link}` : ''}`);
      return ExitCode.Succeeded;
    }
    const outcome = opts.json ? await runway.wait(handle) : await follow(runway, handle);
    if (!opts.json && outcome.report?.result) {
      for (const [key, value] of Object.entries(outcome.report.result)) {
        if (value !== undefined && typeof value !== 'object') console.log(`${key}: ${value}`);
      }
    }
    printOutcome(outcome, !!opts.json, link);
    return outcome.exitCode;
  });
}
