import type { DemoArtifact } from '../../sandbox/artifacts';
import type { DemoServiceOptions } from '../../sandbox/demo-service';
import type { SandboxNginx } from '../../sandbox/nginx';
import { startSandboxWorld } from '../../sandbox/world';
import { connectClient, FAST_SSH, startWorker, testWorldBase, type TestWorld } from './harness';
import type { RunwayClient } from '../../client/lib';

/** Web hosts, one load-balancer host running real nginx, the demo service in config, a worker and a client. */
export interface DeployWorld {
  world: TestWorld;
  nginx: SandboxNginx;
  worker?: Awaited<ReturnType<typeof startWorker>>;
  runway: RunwayClient;
  artifactsDir: string;
  /** Builds the demo app's release `version` where the service's artifact template looks for it. */
  build(version: string, opts?: { failHealth?: boolean }): Promise<DemoArtifact>;
  stop(): Promise<void>;
}

export interface DeployWorldOptions {
  web: number;
  service: Omit<DemoServiceOptions, 'nginx' | 'artifactsDir'>;
  /** Extra lines under the environment (e.g. an approval policy). */
  environmentExtra?: string[];
  /** Extra top-level YAML (e.g. `notify:`). */
  extra?: string;
  lbPort?: number;
  /** Another Temporal frontend than the jest run's (a test that restarts its own server). */
  temporalAddress?: string;
  /** Hosts fetch releases from this URL instead of receiving an upload (see demoServiceYaml). */
  artifactUrl?: string;
  /** No in-process worker: the test runs worker processes itself (to kill them). */
  noWorker?: boolean;
}

/** Starts a {@link DeployWorld} (see startSandboxWorld) in environment `test`, on its own task queue. */
export async function startDeployWorld(name: string, o: DeployWorldOptions): Promise<DeployWorld> {
  const { dir, taskQueue, temporal } = testWorldBase(name, o.temporalAddress);
  const sw = await startSandboxWorld({
    dir,
    web: o.web,
    environment: 'test',
    lbPort: o.lbPort,
    service: { ...o.service, artifactUrl: o.artifactUrl },
    sshExtra: FAST_SSH,
    environmentExtra: o.environmentExtra,
    extra: temporal + (o.extra ?? ''),
  });
  const world: TestWorld = { dir, sandbox: sw.sandbox, configFile: sw.configFile, taskQueue, stop: sw.stop };
  let worker: DeployWorld['worker'];
  let runway: RunwayClient | undefined;
  const stop = async () => {
    await runway?.close();
    await worker?.stop();
    await sw.stop();
  };
  try {
    worker = o.noWorker ? undefined : await startWorker(world);
    runway = await connectClient(world);
  } catch (e) {
    await stop();
    throw e;
  }
  return { world, nginx: sw.nginx, worker, runway, artifactsDir: sw.artifactsDir, build: sw.build, stop };
}
