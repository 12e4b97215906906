/**
 * The shell scripts of the backup runbooks, built by pure functions (plain values in, one POSIX `sh` script out) and
 * pinned in test/backup-scripts.test.ts. Every value reaches the shell through `quote`. Scripts report what the
 * runbook needs on lines of their own (`@file <sha256> <bytes>`, `@rows <table>|<count>`…), parsed by `parse*` below;
 * a refusal is one line on stderr starting `runway:`, which the run shows as its reason.
 */
import { quote } from '../../core/quote';
import { CIPHER } from './manifest';

/** The environment variable a copy's passphrase reaches the host in (from the set's secret reference, on stdin). */
export const KEY_VARIABLE = 'RUNWAY_BACKUP_KEY';
/** The variable the database password reaches the host in: libpq's own. */
export const PASSWORD_VARIABLE = 'PGPASSWORD';

/** How psql, pg_dump and pg_restore reach the server: libpq's variables, exported at the top of a script. */
export interface PgTarget {
  host?: string;
  port?: number;
  user?: string;
}

const PBKDF2 = '-aes-256-cbc -pbkdf2 -iter 100000';

/** psql input that counts the rows of every user table, one `schema.table|count` row each (through \\gexec). */
const COUNT_ALL =
  "SELECT format('SELECT %L, count(*) FROM %I.%I;', n.nspname || '.' || c.relname, n.nspname, c.relname) " +
  "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' " +
  "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1 \\gexec";

/** `export PGHOST=… PGPORT=… PGUSER=…` for the configured connection (nothing for the server's defaults). */
export function pgEnvironment(target: PgTarget): string[] {
  const vars: string[] = [];
  if (target.host) vars.push(`PGHOST=${quote(target.host)}`);
  if (target.port) vars.push(`PGPORT=${target.port}`);
  if (target.user) vars.push(`PGUSER=${quote(target.user)}`);
  return vars.length > 0 ? [`export ${vars.join(' ')}`] : [];
}

/** psql, quiet, tuples only, stopping at the first error; `-d` is always given. */
function psql(database: string): string {
  return `psql -X -q -At -v ON_ERROR_STOP=1 -d ${quote(database)}`;
}

/**
 * How a script ends when it does not succeed: {@link REFUSED} (bad input or an unfit host, found before anything
 * changed) or {@link CHECK_FAILED} (a copy that is not what its manifest says, an app that is not healthy), each with
 * one `runway:` line on stderr; anything else is a command that failed.
 */
export const REFUSED = 3;
export const CHECK_FAILED = 4;

/** Stops the script with one `runway:` line on stderr. */
const refuse = (message: string) => `{ echo ${quote(`runway: ${message}`)} >&2; exit ${REFUSED}; }`;
const fail = (message: string) => `{ echo ${quote(`runway: ${message}`)} >&2; exit ${CHECK_FAILED}; }`;

/** Fails with psql's own last line, prefixed, when a command fails. */
const orSay = (what: string, errFile: string, code = 5) =>
  `|| { echo "runway: ${what}: $(${firstError(errFile)})" >&2; exit ${code}; }`;

/** The line of a tool's stderr that says what went wrong: its first error line, else its first line. */
const firstError = (file: string) => `grep -m 1 -iE 'error|fatal' ${file} 2>/dev/null || head -n 1 ${file} 2>/dev/null`;

/** The key check of a passphrase: a short hash that tells a wrong key from a damaged copy, and reveals nothing. */
const keyCheck = `printf '%s%s' 'runway-backup-key-check:' "$${KEY_VARIABLE}" | sha256sum | cut -c1-16`;

/**
 * Checks that the copies' dir can take a new copy: created if missing, writable, with free space reported; for a
 * postgres set also that the database answers. Prints `@free <kilobytes>` and, with a key, `@keycheck <hex>`.
 */
export function preflightScript(o: { dir: string; database?: string; pg?: PgTarget; encrypted: boolean }): string {
  const d = quote(o.dir);
  return [
    'set -u',
    ...(o.database ? pgEnvironment(o.pg ?? {}) : []),
    `mkdir -p ${d} 2>/dev/null || ${refuse(`cannot create the backup dir ${o.dir} on this host`)}`,
    `[ -w ${d} ] || ${refuse(`the backup dir ${o.dir} is not writable`)}`,
    `echo "@free $(df -Pk ${d} | awk 'NR==2 {print $4}')"`,
    ...(o.database
      ? [
          `E=$(${psql(o.database)} -c 'select 1' 2>&1 >/dev/null) || ` +
            `{ echo "runway: cannot open database ${o.database}: $(echo "$E" | grep -m 1 -iE 'error|fatal' || echo "$E" | head -n 1)" >&2; exit ${REFUSED}; }`,
        ]
      : []),
    ...(o.encrypted ? [keyCheckLine()] : []),
  ].join('\n');
}

/**
 * Where a copy script works (shell-quoted): its work dir and partial file — dot-names no listing shows, removed on
 * failure by {@link discardCopyScript} — and the copy's final name.
 */
function copyPaths(dir: string, id: string, file: string): { work: string; partial: string; final: string } {
  return { work: quote(`${dir}/.${id}.work`), partial: quote(`${dir}/.${id}.partial`), final: quote(`${dir}/${file}`) };
}

/** What every copy script ends with: sync, then the rename into place, then its checksum and size. */
function seal(work: string, partial: string, final: string): string[] {
  return [
    `sync ${partial} 2>/dev/null || sync`,
    `mv -f ${partial} ${final}`,
    `echo "@file $(sha256sum ${final} | cut -d' ' -f1) $(wc -c <${final} | tr -d ' ')"`,
    `rm -rf ${work}`,
  ];
}

/** Encrypts `$W/plain` into the partial file, or renames it there; removes the clear copy either way. */
function encryptOrMove(plain: string, partial: string, encrypted: boolean, say: string): string[] {
  if (!encrypted) return [`mv -f ${plain} ${partial}`];
  return [
    `openssl enc ${PBKDF2} -salt -pass env:${KEY_VARIABLE} -in ${plain} -out ${partial} 2>"$W/enc.err" ${orSay(say, '"$W/enc.err"')}`,
    `rm -f ${plain}`,
  ];
}

/**
 * Dumps a database into a new copy. A psql session holds a REPEATABLE READ transaction whose snapshot pg_dump uses
 * (`--snapshot`), so the data timestamp and the row counts printed are those of the dump itself. Writes into
 * `.<id>.partial`, syncs, renames to `<file>`; prints `@snapshot <time>|<version>`, `@rows <table>|<count>`, `@file`.
 */
export function pgDumpScript(o: {
  dir: string;
  id: string;
  file: string;
  database: string;
  pg: PgTarget;
  options: string[];
  encrypted: boolean;
}): string {
  const { work, partial, final } = copyPaths(o.dir, o.id, o.file);
  const opts = o.options.map(quote).join(' ');
  return [
    'set -u',
    'umask 077',
    ...pgEnvironment(o.pg),
    `W=${work}`,
    'rm -rf "$W" && mkdir "$W" && mkfifo "$W/q" || ' + refuse(`cannot write in ${o.dir}`),
    `${psql(o.database)} -F '|' <"$W/q" >"$W/a" 2>"$W/e" &`,
    'P=$!',
    'exec 3>"$W/q"',
    "echo 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;' >&3",
    `echo ${quote(
      "SELECT 'snapshot', pg_export_snapshot(), " +
        `to_char(transaction_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ` +
        "current_setting('server_version');",
    )} >&3`,
    `until grep -q '^snapshot|' "$W/a" 2>/dev/null; do kill -0 $P 2>/dev/null || { echo "runway: cannot open database ${o.database}: $(${firstError('"$W/e"')})" >&2; exit ${REFUSED}; }; sleep 0.01; done`,
    `IFS='|' read -r _ S T V <"$W/a"`,
    `pg_dump -Fc --snapshot="$S" ${opts ? `${opts} ` : ''}-d ${quote(o.database)} -f "$W/plain" 2>"$W/dump.err" ${orSay('pg_dump failed', '"$W/dump.err"')}`,
    `echo ${quote(COUNT_ALL)} >&3`,
    "echo 'COMMIT;' >&3",
    'exec 3>&-',
    `wait $P || ${refuse('counting rows in the snapshot failed')}`,
    'echo "@snapshot $T|$V"',
    `sed -n 's/^\\([^|]*\\)|\\([0-9][0-9]*\\)$/@rows \\1|\\2/p' "$W/a"`,
    ...encryptOrMove('"$W/plain"', partial, o.encrypted, 'encryption failed'),
    ...seal('"$W"', partial, final),
  ].join('\n');
}

/** tar arguments for a set's paths: absolute ones from `/`, relative ones from `$B` (the base, made absolute by the script). */
function tarPaths(paths: string[]): string {
  const absolute = paths.filter((p) => p.startsWith('/')).map((p) => quote(p.replace(/^\/+/, '') || '.'));
  const relative = paths.filter((p) => !p.startsWith('/')).map(quote);
  return [...(absolute.length ? ['-C /', ...absolute] : []), ...(relative.length ? [`-C "$B"`, ...relative] : [])].join(
    ' ',
  );
}

/**
 * Archives a `files` set into a new copy with GNU tar, then lists every file's sha256 (read back from the archive, not
 * the live tree) into `<id>.sha256sums` beside it. Prints `@snapshot <time>|`, `@count <files>`, `@file`.
 */
export function filesArchiveScript(o: {
  dir: string;
  id: string;
  file: string;
  base: string;
  paths: string[];
  exclude: string[];
  encrypted: boolean;
}): string {
  const { work, partial, final } = copyPaths(o.dir, o.id, o.file);
  const sums = quote(`${o.dir}/${o.id}.sha256sums`);
  const exclude = o.exclude.map((e) => `--exclude=${quote(e)}`).join(' ');
  const toCommand = 'printf "%s  %s\\n" "$(sha256sum | cut -d" " -f1)" "$TAR_FILENAME"';
  return [
    'set -u',
    'umask 077',
    `B=$(cd ${quote(o.base)} 2>/dev/null && pwd) || ${refuse(`no such dir ${o.base}`)}`,
    `W=${work}`,
    'rm -rf "$W" && mkdir "$W" || ' + refuse(`cannot write in ${o.dir}`),
    `T=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)`,
    `tar -cf "$W/plain" ${exclude ? `${exclude} ` : ''}${tarPaths(o.paths)} 2>"$W/tar.err" ${orSay('tar failed', '"$W/tar.err"')}`,
    `tar -xf "$W/plain" --to-command=${quote(toCommand)} >"$W/sums" 2>"$W/sum.err" ${orSay('reading the archive back failed', '"$W/sum.err"')}`,
    'echo "@snapshot $T|"',
    'echo "@count $(wc -l <"$W/sums" | tr -d \' \')"',
    `mv -f "$W/sums" ${sums}`,
    ...encryptOrMove('"$W/plain"', partial, o.encrypted, 'encryption failed'),
    ...seal('"$W"', partial, final),
  ].join('\n');
}

/** Writes a manifest atomically: a temporary file, synced, renamed. */
export function writeManifestScript(dir: string, id: string, json: string): string {
  const target = quote(`${dir}/${id}.manifest.json`);
  const temp = quote(`${dir}/.${id}.manifest.tmp`);
  return [
    `umask 077`,
    `printf '%s\\n' ${quote(json)} >${temp}`,
    `sync ${temp} 2>/dev/null || sync`,
    `mv -f ${temp} ${target}`,
  ].join('\n');
}

/** Prints `@keycheck <hex>` of the key the command was given, to compare with a copy's before using it. */
export function keyCheckLine(): string {
  return `echo "@keycheck $(${keyCheck})"`;
}

/** Prints every manifest in the dir, one per line (nothing when there is none). */
export function listScript(dir: string): string {
  return `for f in ${quote(dir)}/*.manifest.json; do [ -f "$f" ] && { tr -d '\\n' <"$f"; echo; }; done; true`;
}

/** Removes a copy: its manifest first (so a half-removed copy is never listed), then its file and sums. */
export function removeCopyScript(dir: string, id: string, file: string): string {
  const at = (name: string) => quote(`${dir}/${name}`);
  return `rm -f ${at(`${id}.manifest.json`)} ${at(`.${id}.manifest.tmp`)} && rm -f ${at(file)} ${at(`${id}.sha256sums`)}`;
}

/** Writes a new copy's manifest (when given), then removes the copies rotation let go; stops at the first failure. */
export function rotateScript(
  dir: string,
  manifest: { id: string } | undefined,
  doomed: { id: string; file: string }[],
): string {
  return [
    'set -e',
    ...(manifest ? [writeManifestScript(dir, manifest.id, JSON.stringify(manifest))] : []),
    ...doomed.map((c) => removeCopyScript(dir, c.id, c.file)),
  ].join('\n');
}

/** Removes what an unfinished copy left: its work dir, partial file, and — when it was the undo — the copy itself. */
export function discardCopyScript(dir: string, id: string, file: string): string {
  const { work, partial } = copyPaths(dir, id, file);
  return `rm -rf ${work} ${partial}; ${removeCopyScript(dir, id, file)}`;
}

/**
 * Checks a stored copy against its manifest: present, the recorded size and sha256, and — when encrypted — that the
 * key at hand is the one it was made with. Every mismatch is one `runway:` line naming the copy.
 */
export interface CopyCheck {
  path: string;
  id: string;
  sha256: string;
  bytes: number;
  keyCheck?: string;
}

function checkCopyLines(o: CopyCheck): string[] {
  const p = quote(o.path);
  return [
    `[ -f ${p} ] || ${fail(`copy ${o.id} is missing: no file ${o.path}`)}`,
    `H=$(sha256sum ${p} | cut -d' ' -f1); N=$(wc -c <${p} | tr -d ' ')`,
    `[ "$H" = ${quote(o.sha256)} ] || { echo "runway: copy ${o.id} is corrupt: sha256 $H, its manifest says ${o.sha256} ($N bytes, manifest ${o.bytes})" >&2; exit ${CHECK_FAILED}; }`,
    ...(o.keyCheck
      ? [
          `[ -n "\${${KEY_VARIABLE}:-}" ] || ${refuse(`copy ${o.id} is encrypted and no key was given`)}`,
          `[ "$(${keyCheck})" = ${quote(o.keyCheck)} ] || ${refuse(`copy ${o.id} was encrypted with another key (key check differs): wrong encryption key`)}`,
        ]
      : []),
    'echo "@ok $H $N"',
  ];
}

/**
 * What a restore script does around the restore: check the copy against its manifest first; after it, run checks,
 * each in a section of its own (`@check-begin <i>` … `@check-end <i> <exit>`, then `@check-error <i> <stderr>` when it
 * failed); and, for a restore test, discard what it restored when the script ends — however it ends, a kill by the
 * run's cancellation included. One command instead of one per check: every round trip costs a run time.
 */
export interface RestoreExtras {
  check?: Omit<CopyCheck, 'path'>;
  checks?: string[];
  /** Shell lines that remove the restored copy (a restore test's); run when the script exits. */
  discard?: string[];
}

function restoreHead(o: { path: string; work: string; extras?: RestoreExtras }): string[] {
  const { check, discard } = o.extras ?? {};
  return [
    'set -u',
    'umask 077',
    `W=${quote(o.work)}`,
    ...(discard
      ? [
          'discard() {',
          ...discard.map((l) => `  ${l}`),
          '}',
          `trap 'discard >/dev/null 2>&1; rm -rf "$W"' EXIT`,
          "trap 'exit 143' TERM INT",
        ]
      : []),
    ...(check ? checkCopyLines({ path: o.path, ...check }) : []),
    'rm -rf "$W" && mkdir -p "$W" || ' + refuse(`cannot write in ${o.work}`),
  ];
}

/** The end of a restore script: a restore test's discard, which must succeed here, then the work dir removed. */
function restoreTail(extras?: RestoreExtras): string[] {
  return [
    ...(extras?.discard
      ? [
          `discard 2>"$W/discard.err" >/dev/null ${orSay('cannot remove the restored copy', '"$W/discard.err"')}`,
          'trap - EXIT',
        ]
      : []),
    'rm -rf "$W"',
  ];
}

function checkSections(checks: string[] = []): string[] {
  return checks.flatMap((script, i) => [
    `echo '@check-begin ${i}'`,
    `(`,
    script,
    `) 2>"$W/check-${i}.err"; c=$?`,
    `echo "@check-end ${i} $c"`,
    `[ $c -eq 0 ] || echo "@check-error ${i} $(head -n 3 "$W/check-${i}.err" | tr '\\n' ' ')"`,
  ]);
}

/** The output of each check section of a restore script: its stdout, exit code and (when it failed) stderr. */
export function checkOutputs(stdout: string): Array<{ stdout: string; exitCode: number; error?: string }> {
  const sections: Array<{ stdout: string; exitCode: number; error?: string }> = [];
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const begin = /^@check-begin (\d+)$/.exec(line);
    const end = /^@check-end (\d+) (\d+)$/.exec(line);
    const error = /^@check-error (\d+) (.*)$/.exec(line);
    if (begin) current = [];
    else if (end) {
      sections[Number(end[1])] = { stdout: (current ?? []).join('\n'), exitCode: Number(end[2]) };
      current = undefined;
    } else if (error && sections[Number(error[1])] && error[2].trim())
      sections[Number(error[1])].error = error[2].trim();
    else if (current) current.push(line);
  }
  return sections;
}

/** Decrypts a copy into a clear temporary file (mode 0600) for pg_restore or tar; `openssl` reports a bad key. */
function decrypt(path: string, clear: string): string {
  return `openssl enc -d ${PBKDF2} -pass env:${KEY_VARIABLE} -in ${quote(path)} -out ${clear} 2>"$W/dec.err" ${orSay('decryption failed (wrong key?)', '"$W/dec.err"', REFUSED)}`;
}

/**
 * Restores a postgres copy into a new database: `pg_restore --list` first (a damaged archive stops here), then
 * CREATE DATABASE (refused when it exists: a restore never overwrites) and pg_restore. Prints `@table <schema.table>`
 * for every table the copy holds data for. `work` is a dir of its own, removed at the end.
 */
export function pgRestoreScript(o: {
  path: string;
  database: string;
  /** The database the CREATE DATABASE is issued from (the set's own). */
  via: string;
  pg: PgTarget;
  work: string;
  encrypted: boolean;
  jobs?: number;
  extras?: RestoreExtras;
}): string {
  const source = o.encrypted ? '"$W/clear"' : quote(o.path);
  const create = `CREATE DATABASE ${ident(o.database)}`;
  return [
    ...restoreHead(o),
    ...pgEnvironment(o.pg),
    ...(o.encrypted ? [decrypt(o.path, '"$W/clear"')] : []),
    `pg_restore --list ${source} >"$W/toc" 2>"$W/list.err" ${orSay('pg_restore --list failed: the copy is not a readable archive', '"$W/list.err"', CHECK_FAILED)}`,
    `${psql(o.via)} -c ${quote(create)} 2>"$W/create.err" ${orSay(`cannot create database ${o.database}`, '"$W/create.err"', REFUSED)}`,
    `pg_restore --no-owner --no-privileges --exit-on-error${o.jobs && o.jobs > 1 ? ` -j ${o.jobs}` : ''} -d ${quote(o.database)} ${source} 2>"$W/restore.err" ${orSay('pg_restore failed', '"$W/restore.err"', CHECK_FAILED)}`,
    `rm -f "$W/clear"`,
    `awk '$4 == "TABLE" && $5 == "DATA" {print "@table " $6 "." $7}' "$W/toc"`,
    ...checkSections(o.extras?.checks),
    ...restoreTail(o.extras),
  ].join('\n');
}

/** Counts the rows of every table of a database: `@rows <schema.table>|<count>`, as the backup counted them. */
export function countAllRowsScript(o: { database: string; pg: PgTarget }): string {
  return [
    ...pgEnvironment(o.pg),
    `printf '%s\\n' ${quote(COUNT_ALL)} | ${psql(o.database)} -F '|' | sed -n 's/^\\([^|]*\\)|\\([0-9][0-9]*\\)$/@rows \\1|\\2/p'`,
  ].join('\n');
}

/** Drops a database if it exists (the scratch of a restore test, a drill's DR database); fine when it is gone. */
export function dropDatabaseScript(o: { database: string; via: string; pg: PgTarget; work?: string }): string {
  return [
    ...pgEnvironment(o.pg),
    ...(o.work ? [`rm -rf ${quote(o.work)}`] : []),
    `${psql(o.via)} -c ${quote(`DROP DATABASE IF EXISTS ${ident(o.database)} WITH (FORCE)`)}`,
  ].join('\n');
}

/** Fails when a database exists: a drill restores only into a database of its own. */
export function absentDatabaseScript(o: { database: string; via: string; pg: PgTarget }): string {
  const sql = `SELECT 1 FROM pg_database WHERE datname = ${literal(o.database)}`;
  return [
    'set -u',
    ...pgEnvironment(o.pg),
    `R=$(${psql(o.via)} -c ${quote(sql)}) || ${refuse(`cannot open database ${o.via}`)}`,
    `[ -z "$R" ] || ${refuse(`database ${o.database} already exists: a drill restores into a database of its own`)}`,
  ].join('\n');
}

/** The `runway:` line a script left on stderr (its reason), if any. */
export function reason(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith('runway: '));
  return lines.length ? lines[lines.length - 1].slice('runway: '.length).trim() : undefined;
}

/** Fails when a path exists: a drill restores files only into a dir of its own. */
export function absentDirScript(dir: string): string {
  return `[ ! -e ${quote(dir)} ] || ${refuse(`${dir} already exists: a drill restores into a dir of its own`)}`;
}

/** Counts the rows of each table in a database: `@rows <table>|<count>` per table. */
export function countRowsScript(o: { database: string; pg: PgTarget; tables: string[] }): string {
  const commands = o.tables.map((t) => {
    const [schema, table] = t.includes('.') ? t.split('.', 2) : ['public', t];
    return `-c ${quote(`SELECT '@rows ' || ${literal(t)} || '|' || count(*) FROM ${ident(schema)}.${ident(table)}`)}`;
  });
  return [...pgEnvironment(o.pg), `${psql(o.database)} ${commands.join(' ')}`].join('\n');
}

/** Prints the tables a database has (`@table schema.table`), to check the expected ones are there. */
export function listTablesScript(o: { database: string; pg: PgTarget }): string {
  const sql =
    "SELECT '@table ' || schemaname || '.' || tablename FROM pg_tables " +
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";
  return [...pgEnvironment(o.pg), `${psql(o.database)} -c ${quote(sql)}`].join('\n');
}

/** Runs one verification query in a database; its output is compared with the expected text by the runbook. */
export function queryScript(o: { database: string; pg: PgTarget; sql: string }): string {
  return [...pgEnvironment(o.pg), `${psql(o.database)} -c ${quote(o.sql)}`].join('\n');
}

/**
 * Extracts a `files` copy into `into` (created empty; refused when it exists) and checks every file against the sums
 * listed when the copy was made. Prints `@checked <n>`; a mismatch is a `runway:` line naming the files.
 */
export function filesRestoreScript(o: {
  path: string;
  sums: string;
  into: string;
  work: string;
  encrypted: boolean;
  extras?: RestoreExtras;
}): string {
  const into = quote(o.into);
  const source = o.encrypted ? '"$W/clear"' : quote(o.path);
  return [
    ...restoreHead(o),
    `[ ! -e ${into} ] || ${refuse(`${o.into} already exists: a restore never overwrites`)}`,
    `mkdir -p ${into} || ${refuse(`cannot create ${o.into}`)}`,
    ...(o.encrypted ? [decrypt(o.path, '"$W/clear"')] : []),
    `tar -xf ${source} -C ${into} 2>"$W/tar.err" ${orSay('tar could not extract the copy', '"$W/tar.err"', CHECK_FAILED)}`,
    `S=$(cd ${quote(o.sums.replace(/\/[^/]*$/, '') || '/')} && pwd)/${quote(o.sums.replace(/^.*\//, ''))}`,
    `(cd ${into} && sha256sum -c --quiet "$S") >"$W/check" 2>&1 || { echo "runway: files differ from the manifest: $(grep -c FAILED "$W/check") failed, e.g. $(grep FAILED "$W/check" | head -n 3 | tr '\\n' ' ')" >&2; exit ${CHECK_FAILED}; }`,
    'echo "@checked $(wc -l <"$S" | tr -d \' \')"',
    ...checkSections(o.extras?.checks),
    ...restoreTail(o.extras),
  ].join('\n');
}

/** Removes a dir a restore made (scratch or DR); fine when it is gone. */
export function removeDirScript(...dirs: string[]): string {
  return `rm -rf ${dirs.map(quote).join(' ')}`;
}

/** Retries a smoke command on the host every second until it passes or `seconds` pass. */
export function smokeCommandScript(command: string, seconds: number): string {
  return [
    `end=$(( $(date +%s) + ${Math.max(1, Math.ceil(seconds))} ))`,
    `until sh -c ${quote(command)}; do`,
    `  [ "$(date +%s)" -lt "$end" ] || ${fail(`smoke check did not pass within ${seconds} s: ${command}`)}`,
    '  sleep 1',
    'done',
  ].join('\n');
}

/** The cipher name recorded in manifests. */
export { CIPHER };

/** An SQL identifier, double-quoted. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The `@key value` lines of a script's output. */
export function marks(stdout: string, key: string): string[] {
  const prefix = `@${key} `;
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).trim());
}
