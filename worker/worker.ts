import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { z } from 'zod';
import { createActivities, sshHosts, SshPool, type HostAccess } from '../activities';
import { RedactingActivityInbound, rememberConfiguredSecrets } from '../activities/redact';
import { loadConfig, temporalTarget, type LoadedConfig } from '../config';
import { dataConverterOf, EncryptionError } from '../config/encryption';
import { encodesFailures, RUNBOOKS_PATH } from './bundle';

export interface WorkerOptions {
  /** The config file; reloaded at each run start so edits apply to new runs. */
  configFile: string;
  /** A connection to reuse (tests); otherwise one is made from config. */
  connection?: NativeConnection;
  /** A prebuilt bundle (tests share one); otherwise the runbooks are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Another workflows module (tests add their own runbooks). */
  workflowsPath?: string;
  inputSchemas?: Record<string, z.ZodType>;
  taskQueue?: string;
  /** Another way to the hosts than ssh (an orchestration test's model of them). */
  hosts?: HostAccess;
  /** Another HTTP client for health probes (the same test's model of the services). */
  fetch?: typeof fetch;
}

/** Builds a worker for the config's task queue; the caller runs it (`worker.run()`) and shuts it down. */
export async function createRunwayWorker(
  options: WorkerOptions,
): Promise<{ worker: Worker; pool: SshPool; loaded: LoadedConfig }> {
  const loaded = loadConfig(options.configFile);
  const target = temporalTarget(loaded.config.temporal);
  const dataConverter = dataConverterOf(loaded.config.temporal);
  const source = workflowSource(options, dataConverter.failureConverterPath !== undefined);
  const connection =
    options.connection ??
    (await NativeConnection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey }));
  const pool = new SshPool(loaded.config.ssh);
  rememberConfiguredSecrets(loaded.config);
  const activities = createActivities({
    config: () => loadConfig(options.configFile),
    hosts: options.hosts ?? sshHosts(pool, loaded.config.ssh.commandTimeout),
    fetch: options.fetch,
    inputSchemas: options.inputSchemas,
  });
  const worker = await Worker.create({
    connection,
    namespace: target.namespace,
    taskQueue: options.taskQueue ?? target.taskQueue,
    activities,
    interceptors: { activity: [() => ({ inbound: new RedactingActivityInbound() })] },
    dataConverter,
    ...source,
    shutdownGraceTime: '5s',
  });
  return { worker, pool, loaded };
}

/**
 * The runbooks the worker runs: a bundle given by the caller, or one built ahead of time (`RUNWAY_WORKFLOW_BUNDLE`, the
 * path of `bundleRunbooks()` output — a container image can ship it to start in a second), else bundled at start.
 */
function workflowSource(
  options: WorkerOptions,
  encrypted: boolean,
): { workflowBundle: WorkflowBundleOption } | { workflowsPath: string } {
  const prebuilt = !options.workflowsPath && process.env.RUNWAY_WORKFLOW_BUNDLE;
  const bundle = options.workflowBundle ?? (prebuilt ? { codePath: prebuilt } : undefined);
  if (!bundle) return { workflowsPath: options.workflowsPath ?? RUNBOOKS_PATH };
  // Bundled at start, the runbooks get the data converter's failure converter; a prebuilt bundle has its own.
  if (encrypted && !encodesFailures(bundle)) {
    throw new EncryptionError(
      `temporal.encryption is set, but the workflow bundle${prebuilt ? ` ${prebuilt}` : ''} would write failure ` +
        'messages in clear: build it with bundleRunbooks(path, { encodeFailures: true }), or let the worker bundle at start',
    );
  }
  return { workflowBundle: bundle };
}
