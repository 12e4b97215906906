import { readFileSync } from 'node:fs';
import type { TemporalConfig } from './schema';
import { resolveSecret } from './secret';

/** Where and how to reach Temporal, after environment overrides. The API key stays a redacting secret. */
export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  embedded: boolean;
  tls?:
    | { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } }
    | true;
  apiKey?: string;
  uiUrl?: string;
}

/**
 * Resolves the `temporal` section: `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE` and `RUNWAY_TASK_QUEUE` override it;
 * `embedded` means the local dev server `runway dev` starts.
 */
export function temporalTarget(temporal: TemporalConfig, env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const address = env.TEMPORAL_ADDRESS || temporal.address;
  const embedded = address === 'embedded';
  const target: TemporalTarget = {
    address: embedded ? `127.0.0.1:${temporal.devServer.port}` : address,
    namespace: env.TEMPORAL_NAMESPACE || temporal.namespace,
    taskQueue: env.RUNWAY_TASK_QUEUE || temporal.taskQueue,
    embedded,
    uiUrl: temporal.uiUrl ?? (embedded ? `http://localhost:${temporal.devServer.uiPort}` : undefined),
  };
  const { tls } = temporal;
  if (tls === true) target.tls = true;
  else if (tls) {
    target.tls = {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: tls.ca && readFileSync(tls.ca.file),
      clientCertPair:
        tls.cert && tls.key ? { crt: readFileSync(tls.cert.file), key: readFileSync(tls.key.file) } : undefined,
    };
  }
  if (temporal.apiKey) {
    target.apiKey = resolveSecret(temporal.apiKey, 'temporal.apiKey').reveal();
    target.tls ??= true; // API keys are only ever sent over TLS
  }
  return target;
}
