import type { Command } from 'commander';
import { DEV_METRICS_LISTEN, loadConfig, temporalTarget, type LoadedConfig } from '../../config';
import { installDevRuntime, runWorker } from '../../worker';
import { ExitCode } from '../outcome';
import { serveCodec } from './codec-server';
import { configFileOf } from './common';

/** `runway dev`: the embedded dev server (or the configured cluster) and a worker, until Ctrl-C stops both. */
export async function dev(_opts: unknown, command: Command): Promise<number> {
  const configFile = configFileOf(command);
  const loaded = loadConfig(configFile);
  // With encrypted payloads and a codecServer section, the Web UI reads runs through it: it starts first, so a bad
  // key or token or a taken port stops here, before anything else has started.
  const { encryption } = loaded.config.temporal;
  const codec = encryption?.codecServer
    ? await serveCodec(encryption, configFile, (line) => console.error(`runway: ${line}`), devUiOrigin(loaded))
    : undefined;
  const metricsListen = installDevRuntime(loaded.config.metrics?.listen, DEV_METRICS_LISTEN);
  // The dev server comes with the sandbox tooling, which a worker image need not ship.
  const { startEmbedded } = await import('../../sandbox/dev-server');
  const server = await startEmbedded(loaded.config.temporal, codec?.endpoint).catch(async (err: unknown) => {
    await codec?.close();
    throw err;
  });
  const target = temporalTarget(loaded.config.temporal);
  console.log(
    server ? `Temporal dev server on ${server.address} — Web UI ${server.uiUrl}` : `Temporal at ${target.address}`,
  );
  if (codec) console.log(`codec server on ${codec.endpoint} — log in there with its token to read runs in clear`);
  try {
    await runWorker(configFile, { registerAttributes: !server, metricsListen });
    return ExitCode.Succeeded;
  } finally {
    await server?.stop();
    await codec?.close();
    console.log('stopped');
  }
}

/** The embedded dev server's Web UI origin, which the codec server of `runway dev` lets in; none for a cluster. */
function devUiOrigin(loaded: LoadedConfig): string | undefined {
  const { temporal } = loaded.config;
  return temporalTarget(temporal).embedded ? `http://localhost:${temporal.devServer.uiPort}` : undefined;
}
