import { DefaultLogger, Runtime } from '@temporalio/worker';
import { HISTOGRAM_BUCKETS } from '../core/metrics';

let installed: string | undefined;

/** What the process's SDK runtime is installed with. */
export interface RuntimeOptions {
  /** `address:port` of the Prometheus endpoint (`/metrics`): the SDK's metrics and Runway's; none when absent. */
  metricsListen?: string;
}

/**
 * Installs the Temporal SDK runtime once per process (a second `Runtime.install` throws): its own logging kept to
 * warnings, so a terminal shows Runway's lines, and — when asked — its Prometheus exporter, which serves the SDK's
 * metrics (`temporal_*`) and Runway's (`runway_*`, recorded through the runtime's metric meter). The first install
 * wins: a later call with other options says so. Each jest test file has a module registry of its own, so an install
 * that finds one already there is fine too.
 */
export function installRuntime(options: RuntimeOptions = {}): void {
  const key = options.metricsListen ?? '';
  if (installed !== undefined) {
    if (installed !== key)
      console.warn(`runway: the SDK runtime is already installed; metrics stay ${installed || 'off'}`);
    return;
  }
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      ...(options.metricsListen && {
        telemetryOptions: {
          metrics: {
            prometheus: {
              bindAddress: options.metricsListen.replace(/^localhost:/, '127.0.0.1:'),
              countersTotalSuffix: true,
              useSecondsForDurations: true,
              histogramBucketOverrides: HISTOGRAM_BUCKETS,
            },
          },
        },
      }),
    });
  } catch (err) {
    const message = (err as Error).message;
    if (/prometheus|address|bind/i.test(message)) {
      throw new Error(`metrics.listen ${options.metricsListen}: cannot serve metrics there: ${message}`);
    }
    // otherwise: already installed by this process (another module registry)
  }
  installed = key;
}

/**
 * For `runway dev` and the demo: metrics on the configured address, or on {@link fallback} when none is configured —
 * and, when that default address is taken (another dev worker), without metrics and saying so.
 */
export function installDevRuntime(configured: string | undefined, fallback: string): string | undefined {
  if (configured) {
    installRuntime({ metricsListen: configured });
    return configured;
  }
  try {
    installRuntime({ metricsListen: fallback });
    return fallback;
  } catch (err) {
    console.warn(`runway: no metrics this time: ${(err as Error).message}`);
    installRuntime();
    return undefined;
  }
}
