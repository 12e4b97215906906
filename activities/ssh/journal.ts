import { createHash } from 'node:crypto';

/**
 * The never-twice journal. Every command runs on its host through a small POSIX `sh` wrapper that claims a journal
 * entry with `mkdir` (atomic), starts the command detached from the ssh session (its own session via `setsid`, output
 * to files), and records its exit code. A retry of the same activity — after the worker died, say — finds the entry and
 * waits for the recorded result instead of running the command again. The wrapper and its kill and prune scripts are
 * built in scripts.ts; here are the entry's key and the reading of the wrapper's answer.
 */

/** Output kept from each stream of a command: the last 16 KB. */
export const TAIL_BYTES = 16 * 1024;

/** First line of every wrapper answer: `@@runway <ran|attached|lost> [exit outBytes errBytes]`. */
export const HEADER = '@@runway';

/** The journal entry of one activity: stable across its attempts, distinct for every other activity. */
export function journalKey(workflowId: string, runId: string, activityId: string): string {
  return createHash('sha256').update(`${workflowId}\n${runId}\n${activityId}`).digest('hex').slice(0, 32);
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
