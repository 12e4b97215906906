import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Installs the Temporal SDK runtime once per process (a second `Runtime.install` throws): its own logging kept to
 * warnings, so a terminal shows Runway's lines. This is where the runtime's telemetry (metrics) plugs in.
 * Each jest test file has a module registry of its own, so an install that finds one already there is fine too.
 */
export function installRuntime(): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by this process (another module registry)
  }
}
