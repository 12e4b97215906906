import { known, own, pickHost, hostsWithRole, type Rule, type RuleProblem } from './rule-kit';
import type { EnvironmentConfig } from './schema';

/**
 * Rules of the `backups` and `drills` sections: the environment, hosts and roles a set or a drill names exist; an
 * off-host copy is on another host; a drill restores into a place of its own, never over the data it restores.
 */

/** The problems of a `{ host }` or `{ role }` reference in an environment. */
function place(
  at: (string | number)[],
  envName: string,
  env: EnvironmentConfig,
  ref: { host?: string; role?: string },
) {
  const problems: RuleProblem[] = [];
  if (ref.host !== undefined && !own(env.hosts, ref.host))
    problems.push({ path: [...at, 'host'], message: `no host "${ref.host}" in environment ${envName}` });
  if (ref.role !== undefined && hostsWithRole(env, ref.role).length === 0)
    problems.push({ path: [...at, 'role'], message: `no host in environment ${envName} has role "${ref.role}"` });
  return problems;
}

export const backupReferences: Rule = (config) => {
  const problems: RuleProblem[] = [];
  for (const [name, set] of Object.entries(config.backups)) {
    const at = ['backups', name];
    const env = own(config.environments, set.environment);
    if (!env) {
      problems.push({
        path: [...at, 'environment'],
        message: `unknown environment "${set.environment}" (known: ${known(Object.keys(config.environments))})`,
      });
      continue;
    }
    problems.push(...place(at, set.environment, env, set));
    if (!set.copyTo) continue;
    const copyAt = [...at, 'copyTo'];
    problems.push(...place(copyAt, set.environment, env, set.copyTo));
    const source = pickHost(env, set);
    if (source !== undefined && pickHost(env, set.copyTo) === source)
      problems.push({
        path: [...copyAt, 'host' in set.copyTo ? 'host' : 'role'],
        message: `the copy would land on ${source}, the host the set is taken on: an off-host copy needs another host`,
      });
  }
  return problems;
};

export const drillReferences: Rule = (config) => {
  const problems: RuleProblem[] = [];
  for (const [name, drill] of Object.entries(config.drills)) {
    const at = ['drills', name];
    const set = own(config.backups, drill.backup);
    if (!set) {
      problems.push({
        path: [...at, 'backup'],
        message: `unknown backup set "${drill.backup}" (known: ${known(Object.keys(config.backups))})`,
      });
      continue;
    }
    const env = own(config.environments, set.environment);
    if (env) problems.push(...place([...at, 'target'], set.environment, env, drill.target));
    const database = drill.target.database;
    if (set.kind === 'postgres' && !database)
      problems.push({
        path: [...at, 'target', 'database'],
        message: 'a postgres drill needs the database to restore into',
      });
    if (set.kind === 'files' && database !== undefined)
      problems.push({
        path: [...at, 'target', 'database'],
        message: `database applies to drills of postgres sets; ${drill.backup} is a files set (target.dir says where)`,
      });
    if (set.kind === 'postgres' && env && database === set.database) {
      const host = pickHost(env, drill.target);
      if (host !== undefined && host === pickHost(env, set))
        problems.push({
          path: [...at, 'target', 'database'],
          message: `${host} holds ${database}, the database ${drill.backup} backs up: restore into another database`,
        });
    }
    if (drill.smoke.some((c) => 'http' in c) && drill.app?.port === undefined)
      problems.push({ path: [...at, 'app', 'port'], message: 'http smoke checks need app.port' });
  }
  return problems;
};
