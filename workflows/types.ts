/**
 * The plain-JSON shapes that cross the workflow/activity boundary. Types only: this file holds no code, so both the
 * deterministic side and the activities can import it.
 */

/** One host of the resolved plan, as an activity needs it to connect. Holds no secret. */
export interface HostRef {
  name: string;
  address: string;
  port: number;
  user: string;
  roles: string[];
  /** Base of relative service directories on this host (`.` is the login home). */
  dir: string;
  /** Where this host journals commands (relative to the login home unless absolute). */
  journalDir: string;
}

/** Timing the workflow takes from config, so tests can run with short durations. All in milliseconds. */
export interface PlanTiming {
  heartbeatTimeoutMs: number;
  commandTimeoutMs: number;
  retry: { maximumAttempts: number; initialIntervalMs: number; maximumIntervalMs: number };
}

/** Everything a run needs from config, resolved once by an activity and so recorded in the history. */
export interface Plan<I = Record<string, unknown>> {
  runbook: string;
  environment: string;
  /** The validated input, defaults applied. */
  input: I;
  hosts: HostRef[];
  concurrency: number;
  timing: PlanTiming;
  /** Base URL of the Temporal Web UI, when known, for links in reports. */
  uiUrl?: string;
  namespace: string;
  /** The service a deploy or rollback acts on, resolved from config. */
  service?: ServicePlan;
  /** Present when the environment requires an approval before traffic moves. */
  approval?: { approvers: string[]; timeoutMs: number };
  /** Where the run is announced; the token stays on the worker. */
  notify?: { slack?: { channel: string; deliveryWindowMs: number } };
}

/** A service as a deploy needs it: templates, ports, load balancer, artifact (with its sha256), limits. */
export interface ServicePlan {
  name: string;
  strategy: 'blue-green' | 'rolling';
  roles: string[];
  dir: string;
  start: string;
  stop: string;
  health: {
    http?: { path: string; expectStatus: number; expectBody?: string };
    command?: string;
    timeoutMs: number;
    intervalMs: number;
  };
  slots?: { blue: number; green: number };
  port?: number;
  loadBalancer?: { role: string; upstreamFile: string; upstream: string; test: string; reload: string };
  batchSize: number | string;
  maxFailures: number;
  releasesKept: number;
  drainWaitMs: number;
  env: Record<string, string>;
  /** A file on the worker (uploaded over SFTP) or a URL the hosts fetch; either way checked by sha256. */
  artifact?: { file: string; sha256: string } | { url: string; sha256Url: string; sha256?: string };
}

/** What the workflow asks for when a run starts. */
export interface PlanRequest {
  runbook: string;
  input: unknown;
}

/** One command on one host. */
export interface ExecRequest {
  host: HostRef;
  command: string;
  /** Kill the command if it runs longer than this (ms); defaults to the plan's command timeout. */
  timeoutMs?: number;
}

/** The outcome of a command that ran (whatever its exit code). */
export interface ExecResult {
  host: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Total sizes; stdout/stderr above are at most the last 16 KB of each. */
  stdoutBytes: number;
  stderrBytes: number;
  durationMs: number;
  /** True when an earlier attempt had already started the command and this attempt only collected its result. */
  reattached: boolean;
}

/** An SFTP upload, verified by sha256 on the host. */
export interface UploadRequest {
  host: HostRef;
  localPath: string;
  remotePath: string;
  mode?: number;
  sha256?: string;
}

export interface UploadResult {
  host: string;
  remotePath: string;
  sha256: string;
  bytes: number;
  /** True when the host already had the file with this sha256. */
  unchanged: boolean;
}

/** An HTTP check, retried until it passes or its deadline. */
export interface HttpProbeRequest {
  url: string;
  expectStatus?: number;
  /** The body must contain this text. */
  expectBody?: string;
  deadlineMs: number;
  intervalMs?: number;
  requestTimeoutMs?: number;
}

export interface HttpProbeResult {
  url: string;
  status: number;
  attempts: number;
  durationMs: number;
  bodyTail: string;
}
