import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../core/failures';
import type { HttpProbeRequest, HttpProbeResult } from '../core/plan';

/** Defaults of an HTTP probe: try every second, give each request five seconds. */
export const PROBE_INTERVAL_MS = 1_000;
export const PROBE_REQUEST_TIMEOUT_MS = 5_000;

/**
 * Requests a URL until it answers with the expected status (and body text, if asked) or the deadline passes. Each try
 * heartbeats; the deadline is a non-retryable failure naming the last answer seen.
 */
export function httpProbe(request: HttpProbeRequest): Promise<HttpProbeResult> {
  return probeWith(fetch, request);
}

/** {@link httpProbe} through another HTTP client: an orchestration test's model of the hosts' services. */
export function createHttpProbe(client: typeof fetch): (request: HttpProbeRequest) => Promise<HttpProbeResult> {
  return async function httpProbe(request) {
    return probeWith(client, request);
  };
}

async function probeWith(client: typeof fetch, request: HttpProbeRequest): Promise<HttpProbeResult> {
  const ctx = Context.current();
  const expectStatus = request.expectStatus ?? 200;
  const started = Date.now();
  let attempts = 0;
  let last = 'no answer yet';
  for (;;) {
    attempts++;
    try {
      const response = await client(request.url, {
        signal: AbortSignal.any([
          ctx.cancellationSignal,
          AbortSignal.timeout(request.requestTimeoutMs ?? PROBE_REQUEST_TIMEOUT_MS),
        ]),
        redirect: 'manual',
      });
      const body = await response.text();
      const bodyOk = request.expectBody === undefined || body.includes(request.expectBody);
      if (response.status === expectStatus && bodyOk) {
        return {
          url: request.url,
          status: response.status,
          attempts,
          durationMs: Date.now() - started,
          bodyTail: body.slice(-1024),
        };
      }
      last = `HTTP ${response.status}${bodyOk ? '' : `, body lacks "${request.expectBody}"`}: ${body.slice(0, 200).replace(/\s+/g, ' ').trim()}`;
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      last = (err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message;
    }
    ctx.heartbeat({ attempts, last });
    if (Date.now() - started + (request.intervalMs ?? PROBE_INTERVAL_MS) > request.deadlineMs) {
      throw ApplicationFailure.nonRetryable(
        `${request.url} did not answer ${expectStatus} within ${request.deadlineMs} ms (${attempts} tries; last: ${last})`,
        FailureType.ProbeFailed,
      );
    }
    await ctx.sleep(request.intervalMs ?? PROBE_INTERVAL_MS);
  }
}
