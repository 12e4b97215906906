import { newestFirst, type Manifest } from './manifest';

/** How many copies a set keeps, and (optionally) how old they may get. */
export interface KeepPolicy {
  count: number;
  maxAge?: number;
}

/**
 * The copies rotation deletes. Kept, whatever the policy says: the copy just made (`current`) and the newest verified
 * copy. Then the newest others, until `count` copies are kept; of those, any older than `maxAge` go too. So at most
 * `count` copies remain once the newest is verified, `count + 1` while a new one waits for its restore test — and a
 * set never loses its newest verified copy.
 */
export function copiesToDelete(copies: Manifest[], keep: KeepPolicy, now: string, current?: string): Manifest[] {
  const ordered = newestFirst(copies);
  const pinned = new Set<string>();
  if (current && ordered.some((c) => c.id === current)) pinned.add(current);
  const verified = ordered.find((c) => c.verified);
  if (verified) pinned.add(verified.id);
  const kept = new Set(pinned);
  const nowMs = Date.parse(now);
  for (const copy of ordered) {
    if (kept.size >= keep.count) break;
    if (kept.has(copy.id)) continue;
    const tooOld = keep.maxAge !== undefined && nowMs - Date.parse(copy.createdAt) > keep.maxAge;
    if (!tooOld) kept.add(copy.id);
  }
  return ordered.filter((c) => !kept.has(c.id));
}
