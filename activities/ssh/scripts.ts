/**
 * The shell scripts the ssh activities send, built by pure functions (plain values in, one string out) and pinned as
 * exact strings in test/ssh-scripts.test.ts: the never-twice journal wrapper that every command runs through (see
 * journal.ts), its kill and prune scripts, and the upload's checksum and rename. Each value is one word through
 * `quote`; the command itself reaches the wrapper as one word too, and runs under `sh -c`.
 */
import { quote } from '../../core/quote';
import { HEADER, TAIL_BYTES } from './journal';

/**
 * The wrapper that runs `command` at most once under `dir/key` and prints the header and both output tails. It keeps
 * to shell builtins where it can — every process it starts costs the host a fork and an exec on every command.
 */
export function execScript(
  dir: string,
  key: string,
  command: string,
  tailBytes = TAIL_BYTES,
  withSecrets = false,
): string {
  const entry = quote(`${dir}/${key}`);
  // The runner is the leader of a new session, so the ssh connection dropping cannot reach it, and cancelling can
  // signal its whole process group. `exit` holds one short write, so a non-empty file is a whole one.
  // Secrets arrive on stdin (never on a command line, where `ps` shows them): written to a file only the login user
  // reads, exported by the runner and removed before the command starts.
  const load = withSecrets ? 'set -a; . "$1/env"; set +a; rm -f "$1/env"; ' : '';
  const runner = `trap "" HUP; echo $$ >"$1/pid"; ${load}sh -c "$2" </dev/null >"$1/out" 2>"$1/err"; echo $? >"$1/exit"`;
  const lost = `{ echo '${HEADER} lost'; exit 0; }`;
  return [
    `J=${entry}`,
    `[ -d ${quote(dir)} ] || mkdir -p ${quote(dir)} || { echo '${HEADER} unwritable'; exit 0; }`,
    'if mkdir "$J" 2>/dev/null; then',
    ...(withSecrets ? ['  (umask 077; cat >"$J/env")'] : []),
    '  mode=ran; S=; command -v setsid >/dev/null 2>&1 && S=setsid',
    `  $S sh -c ${quote(runner)} runway "$J" ${quote(command)} &`,
    '  wait $!',
    'else',
    // An earlier attempt claimed the entry: wait for its result. A runner that is gone without a recorded exit was
    // interrupted (host rebooted, killed by hand) and its outcome is unknown, so it is reported, never re-run.
    '  mode=attached; n=0',
    '  while [ ! -s "$J/exit" ]; do',
    '    if [ -s "$J/pid" ]; then',
    `      read p <"$J/pid"; kill -0 "$p" 2>/dev/null || [ -s "$J/exit" ] || ${lost}`,
    '    else',
    `      n=$((n+1)); [ $n -gt 100 ] && ${lost}`,
    '    fi',
    '    sleep 0.1',
    '  done',
    'fi',
    `cd "$J" && [ -s exit ] || ${lost}`,
    // Most commands print little and many print nothing: an empty stream costs no `wc` or `tail` process.
    'read code <exit; set -- 0 out 0 err',
    'if [ -s out ] || [ -s err ]; then set -- $(wc -c out err); fi',
    `printf '${HEADER} %s %s %s %s\\n' "$mode" "$code" "$1" "$3"`,
    `[ "$1" = 0 ] || tail -c ${tailBytes} out`,
    `[ "$3" = 0 ] || tail -c ${tailBytes} err >&2`,
  ].join('\n');
}

/** The secrets file the wrapper reads on stdin: one `NAME='value'` assignment per line, each value quoted. */
export function secretsFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${quote(value)}\n`)
    .join('');
}

/** Stops a journalled command: TERM to its process group, KILL after a grace period, and marks the entry. */
export function killScript(dir: string, key: string, graceTenths = 30): string {
  return [
    `J=${quote(`${dir}/${key}`)}`,
    'read p <"$J/pid" 2>/dev/null || exit 0',
    // No `--`: dash's kill rejects it; `kill -SIG -PGID` signals the group in dash and bash alike.
    'kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null',
    `i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt ${graceTenths} ]; do sleep 0.1; i=$((i+1)); done`,
    'kill -KILL "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null',
    'echo cancelled >"$J/cancelled"',
  ].join('\n');
}

/** Removes journal entries older than `days`, so hosts do not collect them forever. */
export function pruneScript(dir: string, days = 7): string {
  return `find ${quote(dir)} -mindepth 1 -maxdepth 1 -type d -mtime +${days} -exec rm -rf {} + 2>/dev/null; true`;
}

/** Prints `<sha256>  <path>` of a file on the host; nothing (and a non-zero exit) when it cannot be read. */
export function sha256Script(path: string): string {
  return `sha256sum ${quote(path)} 2>/dev/null`;
}

/** Removes a file; nothing when it is not there. */
export function removeScript(path: string): string {
  return `rm -f ${quote(path)}`;
}

/** Renames an uploaded temp file over its target (atomic on one filesystem), first setting its `mode` when given. */
export function moveIntoPlaceScript(temp: string, target: string, mode?: number): string {
  const chmod = mode === undefined ? '' : `chmod ${mode.toString(8)} ${quote(temp)} && `;
  return `${chmod}mv -f ${quote(temp)} ${quote(target)}`;
}
