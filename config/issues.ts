import type { z } from 'zod';

/** How a problem is worded and where it points: shared by config files and runbook inputs. Pure. */

/** What a key the schema requires and the file lacks is called. */
export const MISSING = 'missing required key';

/** zod's words, made plain: a missing key says so instead of "expected string, received undefined". */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return MISSING;
  if (issue.code === 'invalid_type' && / received null$/.test(issue.message)) {
    return `expected ${KINDS[issue.expected] ?? issue.expected}, got an empty value`;
  }
  return tidy(issue.message);
}

/** What a value of each type is, in the words of a YAML file. */
const KINDS: Partial<Record<string, string>> = {
  record: 'a map',
  object: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

/** `a.b[0]`, with keys holding spaces, dots, brackets or quotes written `hosts["web 1"]`, so a path is unambiguous. */
export function formatPath(keys: readonly (string | number | symbol)[]): string {
  return keys
    .map((k, i) => {
      if (typeof k === 'number') return `[${k}]`;
      const key = String(k);
      if (key === '' || /[\s.[\]"]/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** One line, whatever the message held. */
export function tidy(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/\n/g, '\\n');
}
