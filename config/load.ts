import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors';
import { formatPath, issueMessage, MISSING, tidy } from './issues';
import { CLIENT_RULES, RULES, type RuleProblem } from './rules';
import { ClientConfigSchema, RunwayConfigSchema, type RunwayConfig, type TemporalConfig } from './schema';
import { closestKey, knownKeys } from './suggest';
import { readYaml, type At } from './yaml';

/** At most this many problems are printed; a last line says how many more there are. */
export const MAX_PROBLEMS = 50;

/** The config file used when neither `--config` nor `RUNWAY_CONFIG` names one. */
export const DEFAULT_CONFIG_FILE = 'runway.yml';

/** A validated config, with every relative path made absolute against the file's directory. */
export interface LoadedConfig {
  file: string;
  config: RunwayConfig;
}

/** Which config file to use: the explicit one, then `$RUNWAY_CONFIG`, then `./runway.yml`. */
export function configPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.RUNWAY_CONFIG ?? DEFAULT_CONFIG_FILE);
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
  const { doc, at, value } = readYaml(text, file);
  const parsed = RunwayConfigSchema.safeParse(value ?? {});
  if (!parsed.success) throw schemaError(RunwayConfigSchema, parsed.error.issues, doc, file, at);
  checkRules(
    RULES.flatMap((rule) => rule(parsed.data, value)),
    doc,
    file,
    at,
  );
  return { file, config: resolvePaths(parsed.data, dirname(file)) };
}

/** Throws the problems the cross-field rules found, located in the file; nothing when there are none. */
function checkRules(found: RuleProblem[], doc: Document, file: string, at: At): void {
  if (found.length === 0) return;
  const located = found.slice(0, MAX_PROBLEMS + 1).map((p) => locate(doc, p.path, p.message, file, at));
  throw new ConfigError(limited(found.length, located));
}

/**
 * One problem per issue (per key, for unknown keys), located only for those printed: a huge file stays fast. A typo
 * is one problem: `adress` is an unknown key that means `address`, and the missing `address` goes unsaid.
 */
function schemaError(schema: z.ZodType, issues: z.core.$ZodIssue[], doc: Document, file: string, at: At): ConfigError {
  const meant = new Set(
    issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.flatMap((key) => {
            const known = closestKey(key, knownKeys(schema, issue.path));
            return known ? [formatPath([...issue.path, known])] : [];
          })
        : [],
    ),
  );
  const said = issues.filter((issue) => issueMessage(issue) !== MISSING || !meant.has(formatPath(issue.path)));
  const count = (issue: z.core.$ZodIssue) => (issue.code === 'unrecognized_keys' ? issue.keys.length : 1);
  const total = said.reduce((n, issue) => n + count(issue), 0);
  const problems: ConfigProblem[] = [];
  for (const issue of said) {
    if (problems.length > MAX_PROBLEMS) break;
    problems.push(...problemsOf(issue, doc, file, at, schema));
  }
  return new ConfigError(limited(total, problems));
}

/** The first {@link MAX_PROBLEMS} problems, and in place of the rest one line at the next saying how many. */
function limited(total: number, problems: ConfigProblem[]): ConfigProblem[] {
  if (total <= MAX_PROBLEMS) return problems;
  const next = problems[MAX_PROBLEMS];
  const more = total - MAX_PROBLEMS;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    { ...next, message: `and ${more} more problem${more === 1 ? '' : 's'} from here on: fix these and check again` },
  ];
}

/**
 * What a client (the CLI, the client library) reads: only the `temporal` section is needed to start and follow runs,
 * since the worker resolves hosts, services and artifacts from its own config. A file with more than `temporal` is
 * validated whole, and then `full` holds it, so a client may check names early.
 */
export interface ClientConfig {
  /** The file read, or undefined when none was and `TEMPORAL_ADDRESS` says where Temporal is. */
  file?: string;
  temporal: TemporalConfig;
  full?: LoadedConfig;
}

/**
 * Reads the client's config: `file` (or `$RUNWAY_CONFIG`, or `./runway.yml`). With no file there, `TEMPORAL_ADDRESS`
 * alone is enough (unless the file was named explicitly); otherwise a missing file is a {@link ConfigError}.
 */
export function loadClientConfig(explicit?: string, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const file = configPath(explicit, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const chosen = explicit !== undefined || env.RUNWAY_CONFIG !== undefined;
    if (missing && !chosen && env.TEMPORAL_ADDRESS) return { temporal: ClientConfigSchema.parse({}).temporal };
    const hint = chosen ? '' : ' (or set TEMPORAL_ADDRESS to reach Temporal without one)';
    const reason = missing ? `file not found${hint}` : (err as Error).message;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: reason }]);
  }
  const { doc, at, value } = readYaml(text, file);
  if (value && typeof value === 'object' && Object.keys(value).some((key) => key !== 'temporal')) {
    const full = parseConfig(text, file);
    return { file, temporal: full.config.temporal, full };
  }
  const parsed = ClientConfigSchema.safeParse(value ?? {});
  if (!parsed.success) throw schemaError(ClientConfigSchema, parsed.error.issues, doc, file, at);
  checkRules(
    CLIENT_RULES.flatMap((rule) => rule(parsed.data, value)),
    doc,
    file,
    at,
  );
  return { file, temporal: resolveTemporalPaths(parsed.data.temporal, absolutizer(dirname(file))) };
}

function problemsOf(issue: z.core.$ZodIssue, doc: Document, file: string, at: At, schema: z.ZodType): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path);
    return issue.keys.map((key) => {
      const meant = closestKey(key, known);
      return locate(
        doc,
        [...issue.path, key],
        meant ? `unknown key (did you mean ${meant}?)` : 'unknown key',
        file,
        at,
        true,
      );
    });
  }
  if (issue.code === 'invalid_key') {
    // A bad record key (host or environment name): point at the key itself, with the name rule's own words.
    return [locate(doc, issue.path, tidy(issue.issues[0]?.message ?? issue.message), file, at, true)];
  }
  return [locate(doc, issue.path, issueMessage(issue), file, at)];
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

/** Paths in a config resolve against its file's directory; `~/` is the home directory. */
interface Absolutizer {
  abs(path: string): string;
  fileRef<T extends { file: string } | undefined>(ref: T): T;
  secret<T>(ref: T): T;
}

function absolutizer(baseDir: string): Absolutizer {
  const abs = (p: string) =>
    p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : isAbsolute(p) ? p : resolve(baseDir, p);
  const fileRef = <T extends { file: string } | undefined>(ref: T): T => (ref ? { ...ref, file: abs(ref.file) } : ref);
  const secret = <T>(ref: T): T =>
    ref && typeof ref === 'object' && 'file' in ref ? (fileRef(ref as { file: string }) as T) : ref;
  return { abs, fileRef, secret };
}

function resolveTemporalPaths(temporal: TemporalConfig, { abs, fileRef, secret }: Absolutizer): TemporalConfig {
  return {
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
  };
}

function resolvePaths(config: RunwayConfig, baseDir: string): RunwayConfig {
  const paths = absolutizer(baseDir);
  const { abs, secret } = paths;
  const { temporal, ssh, notify } = config;
  return {
    ...config,
    temporal: resolveTemporalPaths(temporal, paths),
    ssh: {
      ...ssh,
      knownHosts: abs(ssh.knownHosts),
      key: ssh.key ? { ...ssh.key, file: abs(ssh.key.file), passphrase: secret(ssh.key.passphrase) } : undefined,
    },
    notify: { ...notify, slack: notify.slack ? { ...notify.slack, token: secret(notify.slack.token) } : undefined },
    certificates: Object.fromEntries(
      Object.entries(config.certificates).map(([name, c]) => [
        name,
        c.acme
          ? {
              ...c,
              acme: { ...c.acme, accountKey: secret(c.acme.accountKey), caFile: c.acme.caFile && abs(c.acme.caFile) },
            }
          : c,
      ]),
    ),
  };
}
