import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError, parseDuration } from '../../config';
import { runLines, runsQuery, type RunsFilter } from '../../core/runs';
import { RUNBOOKS } from '../../runbooks/registry';
import { follow as followRun } from '../follow';
import type { RunwayClient } from '../lib';
import { ExitCode, type Outcome } from '../outcome';
import { renderLines } from '../render';
import { checkInput, noWorkerYet, printOutcome, printSteps, withClient } from './common';

/** `runway run <runbook> --input <json>`: validates, starts, and with `--wait` follows to the outcome. */
export async function run(
  runbook: string,
  opts: { input?: string; inputFile?: string; id?: string; wait?: boolean; json?: boolean },
  command: Command,
): Promise<number> {
  const input = parseJson(opts.inputFile ? readFileSync(opts.inputFile, 'utf8') : (opts.input ?? '{}'));
  checkInput(runbook, input);
  return withClient(command, async (runway) => {
    const handle = await runway.start(runbook, input, { workflowId: opts.id, onUnplanned: noWorkerYet });
    const link = runway.link(handle.workflowId, handle.firstExecutionRunId);
    if (!opts.wait) {
      console.log(`started ${handle.workflowId}${link ? `\nrun: ${link}` : ''}`);
      return ExitCode.Succeeded;
    }
    return finish(runway, opts.json ? await runway.wait(handle) : await followRun(runway, handle), !!opts.json, link);
  });
}

/** `runway status <id>`: the run's state and steps; once it has ended, the exit code is its outcome. */
export async function status(id: string, opts: { json?: boolean }, command: Command): Promise<number> {
  return withClient(command, async (runway) => {
    const handle = runway.handle(id);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      const outcome = await runway.wait(handle);
      if (!opts.json) printSteps(outcome);
      return finish(runway, outcome, !!opts.json, runway.link(id, description.runId));
    }
    const progress = await runway.progress(handle);
    if (opts.json) console.log(JSON.stringify(progress ?? { status: 'running', note: 'no worker answered' }, null, 2));
    else
      console.log(
        progress ? renderLines(progress).join('\n') : `${id}: running (no worker answered the progress query)`,
      );
    return ExitCode.Succeeded;
  });
}

/** `runway follow <id>`: live progress until the end; exits with the outcome. */
export async function follow(id: string, opts: { json?: boolean }, command: Command): Promise<number> {
  return withClient(command, async (runway) => {
    const handle = runway.handle(id);
    await handle.describe(); // an unknown id fails here, clearly
    return finish(runway, opts.json ? await runway.wait(handle) : await followRun(runway, handle), !!opts.json);
  });
}

/** `runway cancel <id>`: requests cancellation (the run rolls back); with `--wait`, follows it to the end. */
export async function cancel(id: string, opts: { wait?: boolean }, command: Command): Promise<number> {
  return withClient(command, async (runway) => {
    const handle = runway.handle(id);
    await handle.cancel();
    console.log(`cancellation requested for ${id}: its completed steps will be undone`);
    return opts.wait ? finish(runway, await followRun(runway, handle), false) : ExitCode.Succeeded;
  });
}

/** `runway runbooks`: every runbook a run can start, from the registry. */
export async function runbooks(opts: { json?: boolean }): Promise<number> {
  if (opts.json) {
    const list = RUNBOOKS.map((r) => ({
      type: r.type,
      description: r.description,
      input: z.toJSONSchema(r.input, { io: 'input', unrepresentable: 'any' }),
    }));
    console.log(JSON.stringify(list, null, 2));
    return ExitCode.Succeeded;
  }
  const width = Math.max(...RUNBOOKS.map((r) => r.type.length));
  for (const r of RUNBOOKS) console.log(`${r.type.padEnd(width)}  ${r.description}`);
  return ExitCode.Succeeded;
}

function finish(runway: RunwayClient, outcome: Outcome, json: boolean, link?: string): number {
  printOutcome(outcome, json, link ?? (outcome.report && runway.link(outcome.report.workflowId, outcome.report.runId)));
  return outcome.exitCode;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`--input: not valid JSON: ${(err as Error).message}`);
  }
}

interface ListOptions {
  service?: string;
  environment?: string;
  runbook?: string;
  status?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

/**
 * `runway runs`: past and running runs from Temporal's visibility, newest first, one line each (when, runbook,
 * service, version, environment, actor, outcome, duration, id) — or `--json`. The CLI user's audit trail.
 */
export async function list(opts: ListOptions, command: Command): Promise<number> {
  const limit = Number(opts.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InputError(`--limit: expected a whole number 1..10000, got ${JSON.stringify(opts.limit)}`);
  }
  const filter: RunsFilter = {
    service: opts.service,
    environment: opts.environment,
    runbook: opts.runbook,
    status: opts.status,
    since: opts.since === undefined ? undefined : sinceOf(opts.since),
  };
  try {
    runsQuery(filter);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  return withClient(command, async (runway) => {
    const rows = await runway.runs(filter, limit);
    if (opts.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.error('no runs match');
    else console.log(runLines(rows).join('\n'));
    return ExitCode.Succeeded;
  });
}

/** `--since 2d` (that long ago) or `--since 2026-11-30` / an ISO time. */
function sinceOf(text: string): Date {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(Date.now() - ms);
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at)) {
    throw new InputError(
      `--since: expected a duration like 2h or 7d, or a date like 2026-11-30, got ${JSON.stringify(text)}`,
    );
  }
  return new Date(at);
}
