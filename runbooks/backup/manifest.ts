/**
 * A copy's manifest: the JSON file beside each copy that says what it holds and whether a restore of it was proven.
 * Written by the `backup` runbook, marked verified by `backupVerify`, read by `drDrill` and `backupStatus`.
 * Pure: plain values in, plain values out.
 */

export const MANIFEST_FORMAT = 1;

export interface Manifest {
  format: number;
  set: string;
  kind: 'postgres' | 'files';
  id: string;
  /** The copy's file name, beside the manifest. */
  file: string;
  createdAt: string;
  /** When the data was as the copy holds it: the dump's snapshot time, or when the archive was started. */
  dataTimestamp: string;
  /** sha256 and size of the file as stored (encrypted when encrypted). */
  sha256: string;
  bytes: number;
  /** postgres: the server's version and the rows per table, counted inside the dump's snapshot. */
  serverVersion?: string;
  tables?: Record<string, number>;
  /** files: how many files the archive holds; their checksums are in `<id>.sha256sums` beside it. */
  files?: number;
  encryption?: { cipher: string; keyCheck: string };
  /** Where the off-host copy went, verified by sha256 there. */
  copies?: Array<{ host: string; path: string }>;
  /** Set by a restore test that passed. */
  verified?: { at: string; workflowId: string; runId: string; durationMs: number };
  workflowId: string;
  runId: string;
}

/** The cipher of encrypted copies (openssl enc, key derived from the passphrase by PBKDF2). */
export const CIPHER = 'aes-256-cbc-pbkdf2-100000';

/** The file name of a copy: the id and the kind's extension, `.enc` when encrypted. */
export function copyFileName(id: string, kind: Manifest['kind'], encrypted: boolean): string {
  return `${id}.${kind === 'postgres' ? 'dump' : 'tar'}${encrypted ? '.enc' : ''}`;
}

/**
 * A copy's id: the set, the UTC time the run started and a piece of its run id — sortable by time, unique per run,
 * and the same on every replay.
 */
export function copyId(set: string, startedAt: string, runId: string): string {
  const stamp = startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${set}-${stamp}-${runId
    .replace(/[^a-z0-9]/gi, '')
    .slice(0, 6)
    .toLowerCase()}`;
}

/** Manifests from the listing script's output (one JSON object per line); lines that are not manifests are skipped. */
export function parseManifests(stdout: string): Manifest[] {
  const found: Manifest[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as Manifest;
      if (
        value &&
        value.format === MANIFEST_FORMAT &&
        typeof value.id === 'string' &&
        typeof value.createdAt === 'string'
      )
        found.push(value);
    } catch {
      // a manifest being written or damaged by hand: not a copy Runway can vouch for
    }
  }
  return newestFirst(found);
}

/** Copies, newest first (by creation time, then id). */
export function newestFirst(copies: Manifest[]): Manifest[] {
  return [...copies].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** The newest copy whose restore test passed. */
export function newestVerified(copies: Manifest[]): Manifest | undefined {
  return newestFirst(copies).find((c) => c.verified);
}

/** A database name unique to a run, for its scratch restore: `runway_verify_<first 12 of the run id>`. */
export function scratchDatabase(runId: string): string {
  return `runway_verify_${runId
    .replace(/[^a-z0-9]/gi, '')
    .slice(0, 12)
    .toLowerCase()}`;
}
