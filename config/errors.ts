/** One problem in a config file or an input: where it is and what is wrong, printed as one line. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

/** Formats a problem as `file:line:col path: message` — the one-line shape every config error takes. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path || '(root)'}: ${p.message}`;
}

/** Invalid config or input: nothing was started. The CLI maps it to exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** Invalid input given to a command or a runbook (not a config file). Exit code 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
