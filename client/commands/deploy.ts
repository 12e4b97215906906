import type { Command } from 'commander';
import { follow } from '../follow';
import type { RunwayClient } from '../lib';
import { ExitCode } from '../outcome';
import { writeStepSummary } from '../summary';
import { actorOf, checkInput, noWorkerYet, printOutcome, withClient } from './common';
import { InputError } from '../../config/errors';
import { signIfNeeded } from '../sign-approval';

interface RunOptions {
  environment: string;
  as?: string;
  timeout?: string;
  wait?: boolean;
  waitLock?: boolean;
  json?: boolean;
}

/** `runway deploy <service> <version> -e env`: validated first (exit 2, nothing started), then started under the lock. */
export async function deploy(
  service: string,
  version: string,
  opts: RunOptions & { sha256?: string },
  command: Command,
): Promise<number> {
  const input = { environment: opts.environment, service, version, actor: actorOf(opts), ...extras(opts) };
  checkInput('deploy', input);
  return withClient(command, (runway) => startAndFollow(runway, 'deploy', input, opts));
}

/** `runway rollback <service> -e env [--to version]`. */
export async function rollback(service: string, opts: RunOptions & { to?: string }, command: Command): Promise<number> {
  const input = {
    environment: opts.environment,
    service,
    actor: actorOf(opts),
    ...(opts.to ? { to: opts.to } : {}),
    ...extras(opts),
  };
  checkInput('rollback', input);
  return withClient(command, (runway) => startAndFollow(runway, 'rollback', input, opts));
}

interface DecideOptions {
  as: string;
  reason?: string;
  key?: string;
  printSignature?: boolean;
}

/** `runway approve <id> --as name [--key FILE]`. */
export function approve(id: string, opts: DecideOptions, command: Command): Promise<number> {
  return decide(id, 'approve', opts, command);
}

/** `runway reject <id> --as name [--key FILE]`. */
export function reject(id: string, opts: DecideOptions, command: Command): Promise<number> {
  return decide(id, 'reject', opts, command);
}

/**
 * Decides the gate the run waits at. When that gate needs `--as`'s signature (or `--key` is given) the decision is
 * signed first, for the run and gate the progress query names; `--print-signature` prints the update's input instead
 * of sending it, for `temporal workflow update execute`.
 */
async function decide(id: string, verdict: 'approve' | 'reject', opts: DecideOptions, command: Command) {
  return withClient(command, async (runway) => {
    const progress = await runway.progress(runway.handle(id));
    const signed = await signIfNeeded(progress, verdict, opts.as, opts.reason, opts.key);
    if (opts.printSignature) {
      if (!signed) throw new InputError(`${id} waits for no decision ${opts.as} must sign: nothing to sign`);
      const { by, reason } = signed.decision;
      console.log(JSON.stringify({ by, reason, signature: signed.signature }));
      console.error(
        `send it with: temporal workflow update execute --workflow-id ${id} --run-id ${signed.runId} --name ${verdict} --input '<the line above>'`,
      );
      return ExitCode.Succeeded;
    }
    const record = await runway.decide(id, verdict, opts.as, opts.reason, signed);
    const how = record.signedWith ? ` (signed with ${record.signedWith})` : '';
    console.log(`${record.gate}: ${record.decision} by ${record.by}${how}`);
    return ExitCode.Succeeded;
  });
}

function extras(opts: RunOptions & { sha256?: string }): Record<string, string> {
  return { ...(opts.sha256 ? { sha256: opts.sha256 } : {}), ...(opts.timeout ? { timeout: opts.timeout } : {}) };
}

async function startAndFollow(runway: RunwayClient, runbook: string, input: object, opts: RunOptions): Promise<number> {
  const handle = await runway.start(runbook, input, {
    waitLock: opts.waitLock,
    onWaiting: (holder) => console.error(`waiting for the lock: ${holder}`),
    onUnplanned: noWorkerYet,
  });
  const link = runway.link(handle.workflowId, handle.firstExecutionRunId);
  if (!opts.wait) {
    console.log(`started ${handle.workflowId}${link ? `\nrun: ${link}` : ''}`);
    return ExitCode.Succeeded;
  }
  const outcome = opts.json ? await runway.wait(handle) : await follow(runway, handle);
  printOutcome(outcome, !!opts.json, link);
  writeStepSummary(outcome, link);
  return outcome.exitCode;
}
