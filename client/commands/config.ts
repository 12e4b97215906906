import type { Command } from 'commander';
import { loadClientConfig } from '../../config';
import { ExitCode } from '../outcome';
import { configFileOf } from './common';

/**
 * `runway config check [file]`: exit 0 with a one-line summary, or a ConfigError (exit 2, one line per problem). A
 * file with only a `temporal:` section is a client's (a CI machine's); any other is checked whole, as the worker would.
 */
export async function check(file: string | undefined, _opts: unknown, command: Command): Promise<number> {
  const config = loadClientConfig(file ?? configFileOf(command));
  if (!config.full) {
    console.log(`${config.file}: ok (temporal only: a client's config; hosts and services are in the worker's)`);
    return ExitCode.Succeeded;
  }
  const loaded = config.full;
  const envs = Object.values(loaded.config.environments);
  const { environments, hosts, services, backups, drills } = {
    environments: envs.length,
    hosts: envs.reduce((n, env) => n + Object.keys(env.hosts).length, 0),
    services: Object.keys(loaded.config.services).length,
    backups: Object.keys(loaded.config.backups).length,
    drills: Object.keys(loaded.config.drills).length,
  };
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts = [count(environments, 'environment'), count(hosts, 'host')];
  if (services) parts.push(count(services, 'service'));
  if (backups) parts.push(count(backups, 'backup set'));
  if (drills) parts.push(count(drills, 'drill'));
  console.log(`${loaded.file}: ok (${parts.join(', ')})`);
  return ExitCode.Succeeded;
}
