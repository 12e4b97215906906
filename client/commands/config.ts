import type { Command } from 'commander';
import { configPath, loadConfig } from '../../config';
import { ExitCode } from '../outcome';
import { configFileOf } from './common';

/** `runway config check [file]`: exit 0 with a one-line summary, or a ConfigError (exit 2, one line per problem). */
export async function check(file: string | undefined, _opts: unknown, command: Command): Promise<number> {
  const loaded = loadConfig(file ? configPath(file) : configFileOf(command));
  const envs = Object.values(loaded.config.environments);
  const hosts = envs.reduce((n, env) => n + Object.keys(env.hosts).length, 0);
  console.log(
    `${loaded.file}: ok (${envs.length} environment${envs.length === 1 ? '' : 's'}, ${hosts} host${hosts === 1 ? '' : 's'})`,
  );
  return ExitCode.Succeeded;
}
