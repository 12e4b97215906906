import type { Command } from 'commander';
import { InputError } from '../../config';
import { ListenSchema } from '../../config/values';
import { runWorker } from '../../worker';
import { ExitCode } from '../outcome';
import { configFileOf } from './common';

/**
 * `runway worker`: polls the configured task queue until SIGINT/SIGTERM (what the worker image runs). Several may run
 * on one task queue; `--metrics` gives each on a machine a /metrics port of its own.
 */
export async function worker(opts: { metrics?: string }, command: Command): Promise<number> {
  const metricsListen = opts.metrics === undefined ? undefined : listenOption(opts.metrics);
  await runWorker(configFileOf(command), { registerAttributes: true, metricsListen });
  return ExitCode.Succeeded;
}

function listenOption(value: string): string {
  const parsed = ListenSchema.safeParse(value);
  if (!parsed.success) throw new InputError(`--metrics: ${parsed.error.issues[0].message}`);
  return parsed.data;
}
