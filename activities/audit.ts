import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactDeep, type LoadedConfig } from '../config';
import type { Approval } from '../core/progress';

/** One line of the audit log: who ran what, where, when, with what result and which approvals. */
export interface AuditRecord {
  at: string;
  workflowId: string;
  runId: string;
  runbook: string;
  environment: string;
  service?: string;
  version?: string;
  actor?: string;
  status: string;
  startedAt: string;
  endedAt?: string;
  error?: string;
  approvals: Approval[];
  undeliveredNotifications: number;
}

/**
 * Appends a run's outcome to the JSON-lines audit log named by the worker's config. One `write` with O_APPEND per
 * record, so concurrent runs never interleave inside a line. The record holds names and outcomes, never a secret.
 */
export function createAudit(config: () => LoadedConfig) {
  return async function audit(record: AuditRecord): Promise<string> {
    const loaded = config();
    const file = loaded.config.audit.file;
    const path = file.startsWith('/') ? file : `${dirname(loaded.file)}/${file}`;
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, JSON.stringify(redactDeep(record)) + '\n', { flag: 'a' });
    return path;
  };
}
