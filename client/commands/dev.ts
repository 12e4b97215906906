import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Command } from 'commander';
import { loadConfig, temporalTarget, type LoadedConfig } from '../../config';
import { createRunwayWorker, ensureSearchAttributes } from '../../worker';
import { ensureTemporal } from '../bootstrap';
import { startDevServer, type DevServer } from '../dev-server';
import { ExitCode } from '../outcome';
import { configFileOf } from './common';

/** Keeps the SDK's own logging to warnings, so the terminal shows Runway's lines. */
export function quietRuntime(): void {
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** Starts the embedded dev server named by the config (unless it points at an external cluster). */
export async function startEmbedded(loaded: LoadedConfig): Promise<DevServer | undefined> {
  const target = temporalTarget(loaded.config.temporal);
  if (!target.embedded) return undefined;
  const { devServer } = loaded.config.temporal;
  return startDevServer({
    binary: ensureTemporal(),
    dbFile: devServer.dbFile,
    port: devServer.port,
    uiPort: devServer.uiPort,
    namespace: target.namespace,
  });
}

/** `runway dev`: the embedded dev server (or the configured cluster) and a worker, until Ctrl-C stops both. */
export async function dev(_opts: unknown, command: Command): Promise<number> {
  const configFile = configFileOf(command);
  const loaded = loadConfig(configFile);
  quietRuntime();
  const server = await startEmbedded(loaded);
  const target = temporalTarget(loaded.config.temporal);
  console.log(
    server ? `Temporal dev server on ${server.address} — Web UI ${server.uiUrl}` : `Temporal at ${target.address}`,
  );
  try {
    return await runWorker(configFile, !server);
  } finally {
    await server?.stop();
    console.log('stopped');
  }
}

/** `runway worker`: polls the configured task queue until SIGINT/SIGTERM. */
export async function worker(_opts: unknown, command: Command): Promise<number> {
  quietRuntime();
  return runWorker(configFileOf(command), true);
}

async function runWorker(configFile: string, registerAttributes: boolean): Promise<number> {
  const { worker: w, pool, loaded } = await createRunwayWorker({ configFile });
  const target = temporalTarget(loaded.config.temporal);
  if (registerAttributes) {
    const connection = await Connection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey });
    const warning = await ensureSearchAttributes(connection, target.namespace);
    await connection.close();
    if (warning) console.warn(`runway: ${warning}`);
  }
  console.log(`worker polling ${target.taskQueue} on ${target.address} (namespace ${target.namespace}) — Ctrl-C stops`);
  try {
    await w.run();
  } finally {
    pool.close();
  }
  return ExitCode.Succeeded;
}
