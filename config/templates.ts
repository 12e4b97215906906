import { z } from 'zod';
import { PLACEHOLDER } from '../core/template';

/**
 * Text with `{{placeholders}}`: command templates (start, stop, health, reload…) and artifact names. Every placeholder
 * must be one the text's place fills in, and every `{{` must be closed — `{{version` would otherwise reach the host as
 * written, and `{{ unknown }}` as an empty word.
 */

/** The problems of one template: unknown placeholders (with `why` when the name means something elsewhere), unclosed ones. */
export function templateProblems(
  text: string,
  known: readonly string[],
  elsewhere: Readonly<Record<string, string>> = {},
): string[] {
  const problems: string[] = [];
  for (const [, name] of text.matchAll(PLACEHOLDER)) {
    if (known.includes(name)) continue;
    const why = Object.hasOwn(elsewhere, name) ? `: ${elsewhere[name]}` : '';
    problems.push(`unknown placeholder {{${name}}}${why} (known: ${known.join(', ')})`);
  }
  const rest = text.replace(PLACEHOLDER, '');
  const open = rest.indexOf('{{');
  if (open >= 0) {
    const start = rest.slice(open, open + 24).split(/[\s'"]/)[0];
    problems.push(`unclosed placeholder ${JSON.stringify(start)}: write {{name}}`);
  }
  return problems;
}

/** Text (an artifact name, an expected body) whose `{{placeholders}}` are from `known`: the checks alone, no others. */
export function placeholdersFrom(known: readonly string[]) {
  return z.string().superRefine((text, ctx) => {
    for (const message of templateProblems(text, known)) ctx.addIssue({ code: 'custom', message });
  });
}

/** A command line (or script) with `{{placeholders}}` from `known`; see {@link templateProblems}. */
export function templateSchema(known: readonly string[], elsewhere: Readonly<Record<string, string>> = {}) {
  return z
    .string()
    .min(1, 'expected a command, got an empty string')
    .superRefine((text, ctx) => {
      if (text.includes('\0')) ctx.addIssue({ code: 'custom', message: 'a command must not contain a NUL' });
      else if (text !== '' && text.trim() === '')
        ctx.addIssue({ code: 'custom', message: 'expected a command, got only spaces' });
      for (const message of templateProblems(text, known, elsewhere)) ctx.addIssue({ code: 'custom', message });
    });
}
