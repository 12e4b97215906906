import http from 'node:http';

/** What a load run saw, from {@link startLoad}. */
export interface LoadReport {
  /** Requests completed, successful or not, over all loops. */
  total: number;
  /** Network errors, timeouts and non-200 answers. */
  failures: number;
  /** The first 20 distinct failure descriptions. */
  errors: string[];
  /** Versions seen by the one sequential probe, in order, consecutive duplicates collapsed (e.g. `['v1', 'v2']`). */
  versions: string[];
  /** Probe requests retried once because their reused keep-alive connection was closed under them. */
  probeRetries: number;
}

/** Options for {@link startLoad}. */
export interface LoadOptions {
  /** Parallel request loops besides the sequential probe; default 8. */
  concurrency?: number;
}

const TIMEOUT_MS = 5000;

/** The loads not stopped yet, so whoever ran them can stop them all (see {@link stopLoads}). */
const running = new Set<() => Promise<LoadReport>>();

/**
 * Stops every load still running in this process. A test that failed before it stopped its load would otherwise
 * leave it sending requests forever (to a load balancer that is gone), and the process could not exit.
 */
export async function stopLoads(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

type Outcome = { ok: true; version: string } | { ok: false; error: string };

function get(url: string, agent: http.Agent | false = false): Promise<Outcome & { reused?: boolean }> {
  return new Promise((resolve) => {
    // agent: false opens a connection per request: a keep-alive socket that races a reload would be the client's
    // problem (it must retry idempotent requests on a reused socket), not the server's, and this measures the server.
    const req = http.get(url, { agent, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('error', (e) => resolve({ ok: false, error: `response: ${e.message}` }));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve({ ok: false, error: `HTTP ${res.statusCode}: ${body.trim()}` });
        const header = res.headers['x-version'];
        resolve({ ok: true, version: typeof header === 'string' ? header : body.trim() });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ ok: false, error: e.code ?? e.message, reused: req.reusedSocket }),
    );
  });
}

/**
 * Sends GET requests to `url` as fast as `concurrency` loops can, plus one strictly sequential probe that records the
 * version order, until `stop()` — which waits for the requests in flight and reports. Never throws: every problem is a
 * failure in the report, so a test asserts on all of it at once.
 */
export function startLoad(
  url: string,
  opts: LoadOptions = {},
): { snapshot(): LoadReport; stop(): Promise<LoadReport> } {
  const report: LoadReport = { total: 0, failures: 0, errors: [], versions: [], probeRetries: 0 };
  let stopped = false;
  // The probe is a keep-alive client, like a browser: its connection stays with the nginx worker that accepted it, so
  // it sees the old version until that worker retires and the new one after — the order a user sees. (Connections
  // per request would also land on a retiring worker during nginx's short reload overlap.) When a retiring worker
  // closes the idle connection just as a request is sent, the request is retried once on a new connection, as HTTP
  // clients do for idempotent requests on a reused socket; such retries are counted, not hidden.
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const loop = async (probe: boolean) => {
    while (!stopped) {
      let outcome = await get(url, probe && probeAgent);
      if (probe && !outcome.ok && outcome.reused) {
        report.probeRetries += 1;
        outcome = await get(url, probeAgent);
      }
      report.total += 1;
      if (!outcome.ok) {
        report.failures += 1;
        if (report.errors.length < 20 && !report.errors.includes(outcome.error)) report.errors.push(outcome.error);
      } else if (probe && report.versions.at(-1) !== outcome.version) {
        report.versions.push(outcome.version);
      }
    }
  };
  const loops = [loop(true), ...Array.from({ length: opts.concurrency ?? 8 }, () => loop(false))];
  const stop = async () => {
    stopped = true;
    running.delete(stop);
    await Promise.all(loops);
    probeAgent.destroy();
    return report;
  };
  running.add(stop);
  return {
    /** What the load has seen so far (for a live view); the report goes on growing. */
    snapshot: () => ({ ...report, errors: [...report.errors], versions: [...report.versions] }),
    /** Stops the loops, waits for the requests in flight, and reports. */
    stop,
  };
}
