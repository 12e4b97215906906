import type { Approver } from '../config/schema';

/** A run's progress and report: what the `progress` query returns, what the CLI, Slack and the audit log show. */

/** Where a run is. `failed` means failed and fully rolled back; `rollback-incomplete` needs a human. */
export type RunStatus =
  | 'running'
  | 'awaiting-approval'
  | 'rolling-back'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'timed-out'
  | 'invalid'
  | 'rollback-incomplete';

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'undoing' | 'undone' | 'undo-failed';
export type HostStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** The latest command of a step on one host. Tails here are short; the activity result in history keeps 16 KB. */
export interface HostProgress {
  status: HostStatus;
  command: string;
  exitCode?: number;
  stdoutTail?: string;
  stderrTail?: string;
  error?: string;
  startedAt: string;
  durationMs?: number;
  reattached?: boolean;
}

export interface StepProgress {
  name: string;
  status: StepStatus;
  startedAt: string;
  endedAt?: string;
  hosts: Record<string, HostProgress>;
  /**
   * Hosts by outcome, for commands too large to list host by host (run in child workflows): then `hosts` holds only
   * the hosts that did not succeed.
   */
  counts?: HostCounts;
  error?: string;
  undo?: { attempts: number; error?: string; hosts: Record<string, HostProgress>; counts?: HostCounts };
}

/** How many hosts of a large command succeeded, failed or were never started (after a failure, fail-fast). */
export interface HostCounts {
  succeeded: number;
  failed: number;
  skipped: number;
}

/** Counts as the CLI and Slack show them: `[980 ✓ 20 ✗]`, `[60 ✓ 40 skipped]`. */
export function countsText(counts: HostCounts): string {
  const parts = [`${counts.succeeded} ✓`];
  if (counts.failed) parts.push(`${counts.failed} ✗`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  return `[${parts.join(' ')}]`;
}

/** The whole run, as the `progress` query returns it and as the run's report. */
export interface RunProgress {
  runbook: string;
  environment: string;
  workflowId: string;
  runId: string;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  steps: StepProgress[];
  error?: string;
  /** A link to the run in the Temporal Web UI, when the UI's address is known. */
  url?: string;
  /** service, version, actor — whatever the input named; also search attributes. */
  labels: Record<string, string>;
  /** What the runbook found or measured, e.g. a backup's copy id or a drill's RTO and RPO. */
  result?: Record<string, unknown>;
  /** Every decision at an approval gate, in order. */
  approvals?: Approval[];
  /** The gate the run waits at, while it waits: what a decision names, and whose decisions must be signed. */
  awaiting?: AwaitingGate;
  /** Slack messages not delivered by the end of the run, and the workflow that keeps retrying them. */
  notifications?: { undelivered: string[]; retriedBy?: string };
  /** Set when the audit log could not be written. */
  auditError?: string;
}

/** A decision at an approval gate. */
export interface Approval {
  gate: string;
  decision: 'approved' | 'rejected' | 'timed-out';
  by?: string;
  reason?: string;
  /** The fingerprint (`SHA256:…`) of the SSH key that signed the decision, for an approver configured with a key. */
  signedWith?: string;
  at: string;
}

/** A gate waiting for a decision. An approver with a `key` decides only with a signature made with it. */
export interface AwaitingGate {
  gate: string;
  approvers: Approver[];
}

/** The final report a run returns (or carries in its failure details). */
export type RunReport = RunProgress;

/** What an approver sends: `runway approve <id> --as alice`, or `temporal workflow update execute --name approve`. */
export interface Decision {
  by: string;
  reason?: string;
  /** `ssh-keygen -Y sign -n runway-approval` of the approval message (core/approval.ts), armored. */
  signature?: string;
}

/** Output kept per host in the progress state; enough to see what went wrong without bloating queries. */
export const PROGRESS_TAIL_BYTES = 2048;

/** The last `max` characters of a text, marked when cut. */
export function tail(text: string, max = PROGRESS_TAIL_BYTES): string {
  return text.length <= max ? text : '…' + text.slice(text.length - max);
}
