import type { Command } from 'commander';
import { follow } from '../follow';
import { ExitCode } from '../outcome';
import { renderOutputs } from '../render';
import { actorOf, checkInput, noWorkerYet, printOutcome, withClient } from './common';

interface ExecOptions {
  environment: string;
  role?: string;
  hosts?: string;
  batch?: string;
  timeout?: string;
  as?: string;
  detach?: boolean;
  json?: boolean;
}

/** `runway exec -e env -r role -- cmd…`: starts the exec runbook and, unless detached, follows it to its end. */
export async function exec(words: string[], opts: ExecOptions, command: Command): Promise<number> {
  const input = {
    environment: opts.environment,
    command: words.join(' '),
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.hosts ? { hosts: opts.hosts.split(',').map((h) => h.trim()) } : {}),
    ...(opts.batch ? { batchSize: /^\d+$/.test(opts.batch) ? Number(opts.batch) : opts.batch } : {}),
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    actor: actorOf(opts),
  };
  checkInput('exec', input);
  return withClient(command, async (runway) => {
    const handle = await runway.start('exec', input, { onUnplanned: noWorkerYet });
    const link = runway.link(handle.workflowId, handle.firstExecutionRunId);
    if (opts.detach) {
      console.log(`started ${handle.workflowId}${link ? `\nrun: ${link}` : ''}`);
      return ExitCode.Succeeded;
    }
    const outcome = opts.json ? await runway.wait(handle) : await follow(runway, handle);
    if (!opts.json && outcome.report) {
      // A fan-out over many hosts ran in child workflows: each host's output is in their results.
      const inChildren = outcome.report.steps.some((s) => s.counts);
      const children = inChildren ? await runway.childOutcomes(handle.workflowId, handle.firstExecutionRunId) : [];
      console.log(renderOutputs(outcome.report, children).join('\n'));
    }
    printOutcome(outcome, !!opts.json, link);
    return outcome.exitCode;
  });
}
