import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors';
import { RULES } from './rules';
import { RunwayConfigSchema, type RunwayConfig } from './schema';

/** The config file used when neither `--config` nor `RUNWAY_CONFIG` names one. */
export const DEFAULT_CONFIG_FILE = 'runway.yml';

/** A validated config, with every relative path made absolute against the file's directory. */
export interface LoadedConfig {
  file: string;
  config: RunwayConfig;
}

/** Which config file to use: the explicit one, then `$RUNWAY_CONFIG`, then `./runway.yml`. */
export function configPath(explicit?: string): string {
  return resolve(explicit ?? process.env.RUNWAY_CONFIG ?? DEFAULT_CONFIG_FILE);
}

/** Reads and validates a config file; throws {@link ConfigError} with one line per problem. */
export function loadConfig(file: string = configPath()): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: reason }]);
  }
  return parseConfig(text, file);
}

/** Validates config text as if read from `file`; relative paths resolve against that file's directory. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    // The first syntax error only: the parser's later ones are usually its confusion after the first.
    const [e] = doc.errors;
    throw new ConfigError([{ file, ...at(e.pos[0]), path: 'yaml', message: e.message.split('\n')[0] }]);
  }
  const parsed = RunwayConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.flatMap((issue) => problemsOf(issue, doc, file, at)));
  }
  const ruleProblems = RULES.flatMap((rule) => rule(parsed.data)).map((p) => locate(doc, p.path, p.message, file, at));
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
  return { file, config: resolvePaths(parsed.data, dirname(file)) };
}

type At = (offset: number) => { line: number; col: number };

function problemsOf(issue: z.core.$ZodIssue, doc: Document, file: string, at: At): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => locate(doc, [...issue.path, key], 'unknown key', file, at, true));
  }
  if (issue.code === 'invalid_key') {
    // A bad record key (host or environment name): point at the key itself, with the name rule's own words.
    return [locate(doc, issue.path, tidy(issue.issues[0]?.message ?? issue.message), file, at, true)];
  }
  return [locate(doc, issue.path, issueMessage(issue), file, at)];
}

/** zod's words, made plain: a missing key says so instead of "expected string, received undefined". */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return 'missing required key';
  return tidy(issue.message);
}

/** Finds the nearest node the path reaches (a missing key points at its parent) and reports its position. */
function locate(
  doc: Document,
  path: PropertyKey[],
  message: string,
  file: string,
  at: At,
  atKey = false,
): ConfigProblem {
  const keys = path.map((k) => (typeof k === 'number' ? k : String(k)));
  let offset = 0;
  for (let depth = keys.length; depth >= 0; depth--) {
    const node = atKey && depth === keys.length ? keyNode(doc, keys) : (doc.getIn(keys.slice(0, depth), true) as Node);
    if (node?.range) {
      offset = node.range[0];
      break;
    }
  }
  return { file, ...at(offset), path: formatPath(keys), message: tidy(message) };
}

function keyNode(doc: Document, keys: (string | number)[]): Node | undefined {
  const parent = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find(
    (item) => isPair(item) && isScalar(item.key) && item.key.value === keys[keys.length - 1],
  );
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

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
function tidy(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/\n/g, '\\n');
}

function resolvePaths(config: RunwayConfig, baseDir: string): RunwayConfig {
  const abs = (p: string) =>
    p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : isAbsolute(p) ? p : resolve(baseDir, p);
  const fileRef = <T extends { file: string } | undefined>(ref: T): T => (ref ? { ...ref, file: abs(ref.file) } : ref);
  const secret = <T>(ref: T): T =>
    ref && typeof ref === 'object' && 'file' in ref ? (fileRef(ref as { file: string }) as T) : ref;
  const { temporal, ssh, notify } = config;
  return {
    ...config,
    temporal: {
      ...temporal,
      apiKey: secret(temporal.apiKey),
      tls:
        temporal.tls && temporal.tls !== true
          ? {
              ...temporal.tls,
              ca: fileRef(temporal.tls.ca),
              cert: fileRef(temporal.tls.cert),
              key: fileRef(temporal.tls.key),
            }
          : temporal.tls,
      devServer: { ...temporal.devServer, dbFile: abs(temporal.devServer.dbFile) },
    },
    ssh: {
      ...ssh,
      knownHosts: abs(ssh.knownHosts),
      key: ssh.key ? { ...ssh.key, file: abs(ssh.key.file), passphrase: secret(ssh.key.passphrase) } : undefined,
    },
    notify: { ...notify, slack: notify.slack ? { ...notify.slack, token: secret(notify.slack.token) } : undefined },
  };
}
