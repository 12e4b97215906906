import type { Command } from 'commander';
import { runWorker } from '../../worker';
import { ExitCode } from '../outcome';
import { configFileOf } from './common';

/** `runway worker`: polls the configured task queue until SIGINT/SIGTERM (what the worker image runs). */
export async function worker(_opts: unknown, command: Command): Promise<number> {
  await runWorker(configFileOf(command), { registerAttributes: true });
  return ExitCode.Succeeded;
}
