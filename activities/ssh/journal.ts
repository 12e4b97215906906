import { createHash } from 'node:crypto';
import { quote } from '../../core/quote';

/**
 * The never-twice journal. Every command runs on its host through a small POSIX `sh` wrapper that claims a journal
 * entry with `mkdir` (atomic), starts the command detached from the ssh session (its own session via `setsid`, output
 * to files), and records its exit code. A retry of the same activity — after the worker died, say — finds the entry and
 * waits for the recorded result instead of running the command again.
 */

/** Output kept from each stream of a command: the last 16 KB. */
export const TAIL_BYTES = 16 * 1024;

/** First line of every wrapper answer: `@@runway <ran|attached|lost> [exit outBytes errBytes]`. */
export const HEADER = '@@runway';

/** The journal entry of one activity: stable across its attempts, distinct for every other activity. */
export function journalKey(workflowId: string, runId: string, activityId: string): string {
  return createHash('sha256').update(`${workflowId}\n${runId}\n${activityId}`).digest('hex').slice(0, 32);
}

/**
 * The wrapper that runs `command` at most once under `dir/key` and prints the header and both output tails. It keeps
 * to shell builtins where it can — every process it starts costs the host a fork and an exec on every command.
 */
export function execScript(dir: string, key: string, command: string, tailBytes = TAIL_BYTES): string {
  const entry = quote(`${dir}/${key}`);
  // The runner is the leader of a new session, so the ssh connection dropping cannot reach it, and cancelling can
  // signal its whole process group. `exit` holds one short write, so a non-empty file is a whole one.
  const runner = 'trap "" HUP; echo $$ >"$1/pid"; sh -c "$2" </dev/null >"$1/out" 2>"$1/err"; echo $? >"$1/exit"';
  const lost = `{ echo '${HEADER} lost'; exit 0; }`;
  return [
    `J=${entry}`,
    `[ -d ${quote(dir)} ] || mkdir -p ${quote(dir)} || { echo '${HEADER} unwritable'; exit 0; }`,
    'if mkdir "$J" 2>/dev/null; then',
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
    'read code <exit; set -- $(wc -c out err)',
    `printf '${HEADER} %s %s %s %s\\n' "$mode" "$code" "$1" "$3"`,
    `tail -c ${tailBytes} out`,
    `tail -c ${tailBytes} err >&2`,
  ].join('\n');
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

/** The parsed first line of a wrapper answer. */
export type Header =
  | { mode: 'ran' | 'attached'; exitCode: number; stdoutBytes: number; stderrBytes: number }
  | { mode: 'lost' }
  | { mode: 'unwritable' };

/** Splits a wrapper's stdout into its header and the stdout tail; undefined when no header came back. */
export function parseAnswer(stdout: Buffer): { header: Header; stdout: Buffer } | undefined {
  const newline = stdout.indexOf(0x0a);
  const first = stdout.subarray(0, newline < 0 ? stdout.length : newline).toString('utf8');
  const words = first.split(' ');
  if (words[0] !== HEADER) return undefined;
  const rest = newline < 0 ? Buffer.alloc(0) : stdout.subarray(newline + 1);
  if (words[1] === 'lost' || words[1] === 'unwritable') return { header: { mode: words[1] }, stdout: rest };
  if ((words[1] !== 'ran' && words[1] !== 'attached') || words.length !== 5) return undefined;
  const [exitCode, stdoutBytes, stderrBytes] = words.slice(2).map(Number);
  if (![exitCode, stdoutBytes, stderrBytes].every(Number.isInteger)) return undefined;
  return { header: { mode: words[1], exitCode, stdoutBytes, stderrBytes }, stdout: rest };
}

/** Decodes a byte tail that may begin in the middle of a UTF-8 character. */
export function decodeTail(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/^\uFFFD+/, '');
}
