import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ExecRequest, ExecResult } from '../../core/plan';
import { decodeTail, journalKey, parseAnswer } from './journal';
import { execScript, killScript, secretsFile } from './scripts';
import { redactSecrets, resolveSecret } from '../../config/secret';
import { PermanentSshError, transport, type SshPool } from './pool';
import { countInActivity } from '../metrics';

/** What the exec activity needs: the pool, the longest a command may run, and the tail size. */
export interface ExecDeps {
  pool: SshPool;
  commandTimeoutMs: number;
  tailBytes?: number;
}

/**
 * Runs a command on a host at most once. The journal entry is keyed by the activity's identity (workflow id, run id,
 * activity id — not the attempt), so a retry after a worker crash re-attaches to the running command or returns its
 * recorded result. Heartbeats while it runs; a cancelled run kills the remote process group; a worker that merely
 * stops (shutdown, heartbeat timeout) leaves it running for the next attempt to collect.
 */
export function createExec(deps: ExecDeps) {
  return async function sshExec(request: ExecRequest): Promise<ExecResult> {
    const ctx = Context.current();
    const { workflowExecution, activityId } = ctx.info;
    const key = journalKey(workflowExecution?.workflowId ?? '', workflowExecution?.runId ?? '', activityId);
    const { host } = request;
    const started = Date.now();
    const limitMs = request.timeoutMs ?? deps.commandTimeoutMs;
    const stop = new AbortController();
    let timedOut = false;
    const beat = setInterval(() => ctx.heartbeat({ key, elapsedMs: Date.now() - started }), 1_000);
    const limit = setTimeout(() => {
      timedOut = true;
      stop.abort(new Error('command timeout'));
    }, limitMs);
    const secrets = resolveSecrets(request);
    // Every secret this worker resolved, not only this command's: a command may print one it read on the host.
    const redact = (text: string, bytes?: number) =>
      redactSecrets(text, Object.values(secrets), bytes !== undefined && bytes > Buffer.byteLength(text));
    const onCancel = () => stop.abort(ctx.cancellationSignal.reason);
    ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
    try {
      const withSecrets = request.secrets !== undefined;
      const answer = await deps.pool.exec(
        host,
        execScript(host.journalDir, key, request.command, deps.tailBytes, withSecrets),
        stop.signal,
        withSecrets ? Buffer.from(secretsFile(secrets)) : undefined,
      );
      const parsed = parseAnswer(answer.stdout);
      if (!parsed) {
        if (answer.code === undefined) throw transport(host, new Error('connection lost while the command ran'));
        throw ApplicationFailure.nonRetryable(
          `${host.name}: the command wrapper failed (exit ${answer.code}): ${redact(decodeTail(answer.stderr)).trim().slice(-500)}`,
          'WrapperFailed',
        );
      }
      const { header } = parsed;
      if (header.mode === 'lost') {
        throw ApplicationFailure.nonRetryable(
          `${host.name}: the command was started by an earlier attempt but its process is gone without an exit code ` +
            `(host rebooted or process killed?); it may have partly run — check the host (journal ${host.journalDir}/${key})`,
          'CommandInterrupted',
        );
      }
      if (header.mode === 'unwritable') {
        throw ApplicationFailure.nonRetryable(
          `${host.name}: cannot create the journal directory ${host.journalDir}`,
          'JournalUnwritable',
        );
      }
      countInActivity('hostCommands', { host: host.name, outcome: header.exitCode === 0 ? 'ok' : 'exit-nonzero' });
      return {
        host: host.name,
        exitCode: header.exitCode,
        stdout: redact(decodeTail(parsed.stdout), header.stdoutBytes),
        stderr: redact(decodeTail(answer.stderr), header.stderrBytes),
        stdoutBytes: header.stdoutBytes,
        stderrBytes: header.stderrBytes,
        durationMs: Date.now() - started,
        reattached: header.mode === 'attached',
      };
    } catch (err) {
      countInActivity('hostCommands', { host: host.name, outcome: 'error' });
      if (err instanceof PermanentSshError) throw ApplicationFailure.nonRetryable(err.message, err.type);
      // Only a real cancellation or our own time limit kills the command; a timeout or shutdown of this worker
      // leaves it running so the next attempt re-attaches instead of starting it again.
      if (timedOut || ctx.cancellationDetails?.cancelRequested) {
        await deps.pool.exec(host, killScript(host.journalDir, key)).catch(() => undefined);
      }
      if (timedOut) {
        throw ApplicationFailure.nonRetryable(`${host.name}: command killed after ${limitMs} ms`, 'CommandTimedOut');
      }
      throw err;
    } finally {
      clearInterval(beat);
      clearTimeout(limit);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  };
}

/** Resolves a command's secret references on the worker; a missing one fails the command without running it. */
function resolveSecrets(request: ExecRequest): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, ref] of Object.entries(request.secrets ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw ApplicationFailure.nonRetryable(
        `${request.host.name}: ${name} is not an environment variable name`,
        'InvalidInput',
      );
    }
    try {
      values[name] = resolveSecret(ref, `secret ${name}`).reveal();
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`${request.host.name}: ${(err as Error).message}`, 'InvalidInput');
    }
  }
  return values;
}
