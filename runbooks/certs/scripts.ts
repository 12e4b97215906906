/**
 * The shell scripts of `certRenew`, built by pure functions and pinned in test/cert-scripts.test.ts. Every value
 * reaches the shell through `quote` (the test and reload commands are the operator's own lines, run as written).
 * A run's files beside each live file carry its id: `<file>.runway-new.<id>` (staged by the ACME activity),
 * `<file>.runway-old.<id>` (the backup) or `<file>.runway-absent.<id>` (there was none); a refusal is one `runway:`
 * line on stderr and exit {@link REFUSED}, as in the backup scripts.
 */
import type { CertFiles } from '../../core/plan';
import { quote } from '../../core/quote';
import { REFUSED } from '../backup/scripts';

/** Where a run keeps one file's new, old and absent markers. */
export function runFiles(file: string, id: string) {
  return {
    staged: `${file}.runway-new.${id}`,
    backup: `${file}.runway-old.${id}`,
    absent: `${file}.runway-absent.${id}`,
    temp: `${file}.runway-tmp.${id}`,
    previous: `${file}.runway-previous`,
  };
}

const list = (files: CertFiles) => [files.certificate, files.key, ...(files.chain ? [files.chain] : [])];
const refuse = (message: string) => `{ echo ${quote(`runway: ${message}`)} >&2; exit ${REFUSED}; }`;

/** The last line of a command's output, for a refusal: `$(tail -n 1 file)`. */
const lastLineOf = (file: string) => `$(tail -n 3 ${file} | tr '\\n' ' ')`;

/**
 * Before anything changes on an install host: every file's directory exists and is writable, the server's test
 * command passes as the config stands, and each live file's sha256 (or `absent`) is printed as `@file <sha> <path>`.
 */
export function preflightScript(files: CertFiles, test: string): string {
  return [
    'set -u',
    ...list(files).flatMap((f) => {
      const dir = f.slice(0, f.lastIndexOf('/')) || '/';
      return [
        `[ -d ${quote(dir)} ] || ${refuse(`${dir} does not exist (the directory of ${f})`)}`,
        `[ -w ${quote(dir)} ] || ${refuse(`${dir} is not writable by $(id -un)`)}`,
        `[ ! -e ${quote(f)} ] || [ "$(stat -c %u ${quote(f)})" = "$(id -u)" ] || [ "$(id -u)" = 0 ] || ` +
          refuse(`${f} is owned by another user: connect as root or as its owner, so its owner is kept`),
        `if [ -e ${quote(f)} ]; then echo "@file $(sha256sum < ${quote(f)} | cut -c1-64) "${quote(f)}; ` +
          `else echo "@file absent "${quote(f)}; fi`,
      ];
    }),
    'T=$(mktemp)',
    `( ${test} ) >"$T" 2>&1 || { echo "runway: the test command fails before any change: ${lastLineOf('"$T"')}" >&2; rm -f "$T"; exit ${REFUSED}; }`,
    'rm -f "$T"',
  ].join('\n');
}

/** The webroot must exist and be writable before a challenge is ordered. */
export function webrootCheckScript(webroot: string): string {
  return [
    `[ -d ${quote(webroot)} ] || ${refuse(`the webroot ${webroot} does not exist`)}`,
    `mkdir -p ${quote(`${webroot}/.well-known/acme-challenge`)} 2>/dev/null || ${refuse(`cannot create ${webroot}/.well-known/acme-challenge`)}`,
    `[ -w ${quote(`${webroot}/.well-known/acme-challenge`)} ] || ${refuse(`${webroot}/.well-known/acme-challenge is not writable by $(id -un)`)}`,
  ].join('\n');
}

/** An ACME token as RFC 8555 makes it: base64url, so it is a safe file name. */
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

function challengePath(webroot: string, token: string): string {
  if (!TOKEN.test(token)) throw new Error(`not an ACME token: ${JSON.stringify(token.slice(0, 80))}`);
  return `${webroot}/.well-known/acme-challenge/${token}`;
}

/** Writes each challenge's key authorization under the webroot, readable by the web server. */
export function placeChallengesScript(
  webroot: string,
  challenges: Array<{ token: string; keyAuthorization: string }>,
): string {
  return [
    `mkdir -p ${quote(`${webroot}/.well-known/acme-challenge`)}`,
    ...challenges.map(
      (c) =>
        `printf '%s' ${quote(c.keyAuthorization)} > ${quote(`${challengePath(webroot, c.token)}.tmp`)} && ` +
        `chmod 644 ${quote(`${challengePath(webroot, c.token)}.tmp`)} && ` +
        `mv -f ${quote(`${challengePath(webroot, c.token)}.tmp`)} ${quote(challengePath(webroot, c.token))}`,
    ),
  ].join('\n');
}

/** Removes challenge files (nothing when they are gone). */
export function removeChallengesScript(webroot: string, tokens: string[]): string {
  if (tokens.length === 0) return 'true';
  return `rm -f ${tokens.flatMap((t) => [challengePath(webroot, t), `${challengePath(webroot, t)}.tmp`].map(quote)).join(' ')}`;
}

/**
 * Backs up each live file once per run (`cp -p`: mode and owner kept), or marks it absent; a second call of the
 * same run keeps the first backup, which is the one from before the install.
 */
export function backupScript(files: CertFiles, id: string): string {
  return list(files)
    .map((f) => {
      const r = runFiles(f, id);
      return (
        `[ -e ${quote(r.backup)} ] || [ -e ${quote(r.absent)} ] || ` +
        `{ if [ -e ${quote(f)} ]; then cp -p ${quote(f)} ${quote(r.backup)}; else : > ${quote(r.absent)}; fi; } || exit 1`
      );
    })
    .join('\n');
}

/**
 * Moves each staged file over its live file with one rename (atomic on one filesystem), after giving it the live
 * file's owner (and group, when the login user may), and the live file's mode (the key: 0600). Files already moved
 * by an earlier attempt are skipped.
 */
export function installScript(files: CertFiles, id: string): string {
  return [
    'set -e',
    ...list(files).map((f) => {
      const r = runFiles(f, id);
      const mode =
        f === files.key
          ? `chmod 600 ${quote(r.staged)}`
          : `if [ -e ${quote(f)} ]; then chmod --reference=${quote(f)} ${quote(r.staged)}; fi`;
      return [
        `if [ -e ${quote(r.staged)} ]; then`,
        // The owner is kept (the preflight checked it can be); the group too, where the login user may set it.
        `  if [ -e ${quote(f)} ]; then chown "$(stat -c %u ${quote(f)})" ${quote(r.staged)}; ` +
          `chgrp "$(stat -c %g ${quote(f)})" ${quote(r.staged)} 2>/dev/null || true; fi`,
        `  ${mode}`,
        `  mv -f ${quote(r.staged)} ${quote(f)}`,
        `elif [ ! -e ${quote(r.backup)} ] && [ ! -e ${quote(r.absent)} ]; then`,
        `  ${refuse(`${r.staged} is missing: nothing to install`)}`,
        'fi',
      ].join('\n');
    }),
  ].join('\n');
}

/**
 * Puts back what was there before the run (a backup copied to a temp name and renamed; a file that was absent is
 * removed), drops the run's staged files, then runs the test command and the reload.
 */
export function restoreScript(files: CertFiles, id: string, test: string, reload: string): string {
  return [
    'set -u',
    ...list(files).map((f) => {
      const r = runFiles(f, id);
      return (
        `if [ -e ${quote(r.backup)} ]; then cp -p ${quote(r.backup)} ${quote(r.temp)} && mv -f ${quote(r.temp)} ${quote(f)} || exit 1; ` +
        `elif [ -e ${quote(r.absent)} ]; then rm -f ${quote(f)}; fi; rm -f ${quote(r.staged)}`
      );
    }),
    'T=$(mktemp)',
    `( ${test} ) >"$T" 2>&1 || { echo "runway: the test command fails with the old files put back: ${lastLineOf('"$T"')}" >&2; rm -f "$T"; exit 1; }`,
    `( ${reload} ) >"$T" 2>&1 || { echo "runway: the reload fails with the old files put back: ${lastLineOf('"$T"')}" >&2; rm -f "$T"; exit 1; }`,
    'rm -f "$T"',
  ].join('\n');
}

/** After a renewal: each backup becomes `<file>.runway-previous` (for a manual rollback); the run's markers go. */
export function keepPreviousScript(files: CertFiles, id: string): string {
  return list(files)
    .map((f) => {
      const r = runFiles(f, id);
      return (
        `if [ -e ${quote(r.backup)} ]; then mv -f ${quote(r.backup)} ${quote(r.previous)}; fi; ` +
        `rm -f ${quote(r.absent)} ${quote(r.staged)} ${quote(r.temp)}`
      );
    })
    .join('\n');
}

/** After a rollback or a refusal: the run's own files go (backups only once the old files are back). */
export function discardRunFilesScript(files: CertFiles, id: string, backups: boolean): string {
  return list(files)
    .map((f) => {
      const r = runFiles(f, id);
      return `rm -f ${[r.staged, r.temp, ...(backups ? [r.backup, r.absent] : [])].map(quote).join(' ')}`;
    })
    .join('\n');
}
