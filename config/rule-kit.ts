import type { EnvironmentConfig, RunwayConfig } from './schema';

/** One problem a rule finds: the path of the key it is about, and what is wrong there and what to do. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/**
 * A cross-field check the schema cannot express. It gets the parsed config (defaults filled in) and the file's value
 * as written, so a rule can tell a setting given on purpose from its default.
 */
export type Rule<C = RunwayConfig> = (config: C, written: unknown) => RuleProblem[];

/** `record[key]` when the record holds it itself: `constructor` or `toString` are not environments. */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** True when the file itself gives the key at `path` (not a default the schema filled in). */
export function given(written: unknown, path: (string | number)[]): boolean {
  let node = written;
  for (const key of path) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  return true;
}

/** The hosts of an environment with a role, in config order. */
export function hostsWithRole(env: EnvironmentConfig, role: string): string[] {
  return Object.entries(env.hosts)
    .filter(([, host]) => host.roles.includes(role))
    .map(([name]) => name);
}

/** The host a `{ host }` or `{ role }` reference picks: the host, or the first host with the role. */
export function pickHost(env: EnvironmentConfig, ref: { host?: string; role?: string }): string | undefined {
  if (ref.host !== undefined) return own(env.hosts, ref.host) ? ref.host : undefined;
  return ref.role === undefined ? undefined : hostsWithRole(env, ref.role)[0];
}

/** "a, b, c", or "none". */
export function known(names: Iterable<string>): string {
  return [...names].sort().join(', ') || 'none';
}
