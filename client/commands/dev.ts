import type { Command } from 'commander';
import { DEV_METRICS_LISTEN, loadConfig, temporalTarget } from '../../config';
import { installDevRuntime, runWorker } from '../../worker';
import { ExitCode } from '../outcome';
import { configFileOf } from './common';

/** `runway dev`: the embedded dev server (or the configured cluster) and a worker, until Ctrl-C stops both. */
export async function dev(_opts: unknown, command: Command): Promise<number> {
  const configFile = configFileOf(command);
  const loaded = loadConfig(configFile);
  const metricsListen = installDevRuntime(loaded.config.metrics?.listen, DEV_METRICS_LISTEN);
  // The dev server comes with the sandbox tooling, which a worker image need not ship.
  const { startEmbedded } = await import('../../sandbox/dev-server');
  const server = await startEmbedded(loaded.config.temporal);
  const target = temporalTarget(loaded.config.temporal);
  console.log(
    server ? `Temporal dev server on ${server.address} — Web UI ${server.uiUrl}` : `Temporal at ${target.address}`,
  );
  try {
    await runWorker(configFile, { registerAttributes: !server, metricsListen });
    return ExitCode.Succeeded;
  } finally {
    await server?.stop();
    console.log('stopped');
  }
}
