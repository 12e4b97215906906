/**
 * Names that the workflows, the worker and the clients must agree on: lock ids, the query and updates a run answers,
 * and the Web UI's address of a run.
 */

/**
 * The deploy lock is the run itself: every deploy and rollback of one service in one environment uses this workflow
 * id, and Temporal refuses a second while the first runs — so the lock can never be left stale.
 */
export function lockId(environment: string, service: string): string {
  return `deploy:${environment}:${service}`;
}

/** The query every run answers with its live progress. */
export const PROGRESS_QUERY = 'progress';
/** The updates that decide an approval gate: `runway approve|reject`, or `temporal workflow update execute --name`. */
export const APPROVE_UPDATE = 'approve';
export const REJECT_UPDATE = 'reject';

/** A link to a run in the Temporal Web UI (its history page; the latest run when `runId` is not given). */
export function runUrl(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const id = encodeURIComponent(workflowId);
  return `${uiUrl}/namespaces/${namespace}/workflows/${id}${runId ? `/${runId}` : ''}/history`;
}

/** The name a backup runbook's runs go by, before the set or drill: `backup`, `backup-verify`, `dr-drill`. */
const SUBJECT_RUNS: Record<string, string> = {
  backup: 'backup',
  backupVerify: 'backup-verify',
  drDrill: 'dr-drill',
  certCheck: 'cert-check',
  certRenew: 'cert-renew',
};

/**
 * The workflow id of a run about one set or drill (`backup:app-db`, `backup-verify:app-db`, `dr-drill:weekly`): one
 * such run at a time, started by hand or (with the scheduled time appended by Temporal) by its schedule.
 */
export function subjectRunId(workflowType: string, subject: string): string {
  return `${SUBJECT_RUNS[workflowType] ?? workflowType}:${subject}`;
}
