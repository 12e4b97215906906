/**
 * The deploy lock is the run itself: every deploy and rollback of one service in one environment uses this workflow
 * id, and Temporal refuses a second while the first runs — so the lock can never be left stale.
 */
export function lockId(environment: string, service: string): string {
  return `deploy:${environment}:${service}`;
}
