/**
 * The kinds of backup set, each behind one interface: how a copy is taken, restored somewhere, checked and discarded.
 * A kind is pure — it builds scripts and judges their output; the runbooks run them. Adding a kind (a `mongodump`,
 * a Redis RDB copy) is one file here and one schema in config/backups.ts.
 */
import type { BackupPlan } from '../../../core/plan';
import type { SecretRef } from '../../../config/secret';
import type { Manifest } from '../manifest';
import { KEY_VARIABLE, PASSWORD_VARIABLE, type RestoreExtras } from '../scripts';
import { files } from './files';
import { postgres } from './postgres';

/** What a copy script found, besides the file's checksum and size. */
export interface Taken {
  dataTimestamp: string;
  serverVersion?: string;
  tables?: Record<string, number>;
  files?: number;
}

/** Where a copy is restored: a database (postgres) or a dir (files), and a work dir of the run's own. */
export interface RestoreTarget {
  database?: string;
  dir?: string;
  work: string;
  /** The database CREATE/DROP DATABASE is issued from. */
  via?: string;
}

/** What a restore reports: the tables it holds data for, or the files it checked. */
export interface Restored {
  tables?: string[];
  files?: number;
}

/** A check of a restored copy: a script and the judge of its output (a reason when it fails). */
export interface Check {
  name: string;
  script: string;
  judge(stdout: string, restored: Restored): string | undefined;
}

export interface BackupKind {
  preflight(set: BackupPlan): string;
  take(set: BackupPlan, id: string, file: string): string;
  parseTake(stdout: string): Taken;
  /** Restores a copy; `extras` check the copy first, run checks after, and discard the restore at the end. */
  restore(set: BackupPlan, path: string, copy: Manifest, into: RestoreTarget, extras?: RestoreExtras): string;
  parseRestore(stdout: string): Restored;
  /** Removes a restore (drops the database, removes the dir); fine when it is gone. */
  discard(set: BackupPlan, into: RestoreTarget): string;
  checks(set: BackupPlan, copy: Manifest, into: RestoreTarget): Check[];
}

export const KINDS: Record<BackupPlan['config']['kind'], BackupKind> = { postgres, files };

/** The kind of a set. */
export function kindOf(set: BackupPlan): BackupKind {
  return KINDS[set.config.kind];
}

/** The secrets a set's commands need on the host, as references: the encryption key, the database password. */
export function setSecrets(set: BackupPlan): Record<string, SecretRef> {
  const secrets: Record<string, SecretRef> = {};
  if (set.config.encryption) secrets[KEY_VARIABLE] = set.config.encryption.key;
  if (set.config.kind === 'postgres' && set.config.connection.password)
    secrets[PASSWORD_VARIABLE] = set.config.connection.password;
  return secrets;
}
