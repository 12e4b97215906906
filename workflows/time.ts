/**
 * The current time as an ISO string. Inside a workflow, `Date` is Temporal's deterministic clock (the time of the
 * workflow task being replayed), so this is safe to call from runbooks and is the same on every replay.
 */
export function now(): string {
  return new Date().toISOString();
}

/** Milliseconds between two ISO times from {@link now}. */
export function elapsed(from: string, to: string = now()): number {
  return new Date(to).getTime() - new Date(from).getTime();
}
