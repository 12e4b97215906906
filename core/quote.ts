/**
 * Shell quoting for the `$` template. Pure and deterministic: it runs inside workflows and in tests alike.
 *
 * Remote login shells may be `sh` or `dash`, so every value is quoted the POSIX way — inside single quotes nothing is
 * special, and a single quote itself is written as `'\''` (close, escaped quote, reopen). Bash's `$'…'` is not used.
 */

/** Literal shell text to splice into a `$` template unquoted, e.g. a command line an operator typed. */
export class Raw {
  constructor(readonly text: string) {}
}

/** Marks text as literal shell syntax: `$\`${raw('ls -la')} ${dir}\`` quotes `dir` but not `ls -la`. */
export function raw(text: string): Raw {
  return new Raw(text);
}

/** A value `$` accepts: strings and numbers are quoted, arrays become several quoted words, {@link Raw} is spliced. */
export type ShellValue = string | number | bigint | boolean | Raw | readonly ShellValue[];

/** Quotes one word for a POSIX shell. Throws on a NUL byte, which no shell argument can carry. */
export function quote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Renders one interpolated value: quoted word(s), or the text of a {@link Raw}. */
export function renderValue(value: ShellValue): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return value.map((v) => renderValue(v)).join(' ');
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return quote(String(value));
    default:
      throw new TypeError(`cannot interpolate ${value === null ? 'null' : typeof value} into a command`);
  }
}

/** Joins the literal pieces of a tagged template with each value rendered by {@link renderValue}. */
export function buildCommand(pieces: TemplateStringsArray | readonly string[], values: readonly ShellValue[]): string {
  let command = pieces[0];
  for (let i = 0; i < values.length; i++) command += renderValue(values[i]) + pieces[i + 1];
  return command;
}
