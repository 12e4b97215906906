import type { WorkflowExecutionDescription } from '@temporalio/client';
import * as sa from '../core/search-attributes';

/** Temporal could not be reached: nothing was started (exit code 2 — most often a wrong address in config). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** The namespace cannot take a Runway run yet (its search attributes are missing): nothing was started. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** A run refused an approval or rejection: the reason says why (not an approver, nothing awaits a decision). */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** Another run holds the same lock (a deploy of the service, a backup of the set…): nothing was started. */
export class LockedError extends Error {
  override readonly name = 'LockedError';
  constructor(
    readonly workflowId: string,
    readonly holder: string,
  ) {
    super(`${holder} holds the lock ${workflowId}: wait for it to end, or start with --wait-lock to queue behind it`);
  }
}

/** "deploy api 1.4.2 (run 01a2…, started 2026-11-22T10:00:00Z)" — who holds a lock, in words. */
export function lockHolder(description: WorkflowExecutionDescription): string {
  const attrs = description.typedSearchAttributes;
  const what = [description.type, attrs.get(sa.SERVICE), attrs.get(sa.VERSION)].filter(Boolean).join(' ');
  return `${what} (run ${description.runId}, started ${description.startTime.toISOString()})`;
}
