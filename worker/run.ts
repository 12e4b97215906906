import { Connection } from '@temporalio/client';
import { loadConfig, temporalTarget } from '../config';
import { installRuntime } from './runtime';
import { ensureSearchAttributes } from './search-attributes';
import { createRunwayWorker } from './worker';

/** How {@link runWorker} reports: a line for the operator's terminal. */
export type Say = (line: string) => void;

/**
 * The worker process: installs the SDK runtime, builds the worker from `configFile`, registers Runway's search
 * attributes when asked (an external cluster; the dev server has them), and polls until SIGINT/SIGTERM, which the
 * SDK runtime turns into a graceful shutdown. `runway worker`, `runway dev` and the demo all run this.
 */
export async function runWorker(
  configFile: string,
  options: { registerAttributes: boolean; say?: Say; metricsListen?: string },
): Promise<void> {
  const say = options.say ?? ((line) => console.log(line));
  const metricsListen = options.metricsListen ?? loadConfig(configFile).config.metrics?.listen;
  installRuntime({ metricsListen });
  const { worker, pool, loaded } = await createRunwayWorker({ configFile });
  if (metricsListen) say(`metrics on http://${metricsListen}/metrics`);
  const target = temporalTarget(loaded.config.temporal);
  if (options.registerAttributes) {
    const connection = await Connection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey });
    const warning = await ensureSearchAttributes(connection, target.namespace);
    await connection.close();
    if (warning) console.warn(`runway: ${warning}`);
  }
  say(`worker polling ${target.taskQueue} on ${target.address} (namespace ${target.namespace}) — Ctrl-C stops`);
  try {
    await worker.run();
  } finally {
    pool.close();
  }
}
