import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDemoArtifact, type DemoArtifact } from '../../sandbox/artifacts';
import { demoServiceYaml, type DemoServiceOptions } from '../../sandbox/demo-service';
import { startNginx, type SandboxNginx } from '../../sandbox/nginx';
import { killFromPidFiles } from '../../sandbox/process';
import { connectClient, startWorker, startWorld, type TestWorld } from './harness';
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
  firstOctet: number;
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

/** Starts a {@link DeployWorld}: hosts web-1…web-N plus lb-1, nginx on lb-1 proxying to the web hosts. */
export async function startDeployWorld(name: string, o: DeployWorldOptions): Promise<DeployWorld> {
  const names = [...Array.from({ length: o.web }, (_, i) => `web-${i + 1}`), 'lb-1'];
  const roles = Object.fromEntries(names.map((n) => [n, n.startsWith('lb') ? ['lb'] : ['web']]));
  // The world's config is rewritten below once nginx runs; the hosts come first because nginx lives on lb-1.
  const world = await startWorld(name, names.length, { names, roles, firstOctet: o.firstOctet });
  const lbHost = world.sandbox.hosts[names.length - 1];
  const web = world.sandbox.hosts.slice(0, o.web);
  const port = typeof o.service.ports === 'number' ? o.service.ports : (o.service.ports?.blue ?? 18001);
  const nginx = await startNginx({
    dir: lbHost.dir,
    address: lbHost.address,
    port: o.lbPort ?? 18080,
    upstreamName: 'app',
    servers: web.map((h) => `${h.address}:${port}`),
  });
  const artifactsDir = join(world.dir, 'artifacts');
  const service = demoServiceYaml({ ...o.service, nginx, artifactsDir, artifactUrl: o.artifactUrl });
  let base = readFileSync(world.configFile, 'utf8');
  if (o.temporalAddress) base = base.replace(/^(  address: ).*$/m, `$1${o.temporalAddress}`);
  const withEnv = o.environmentExtra
    ? base.replace(/^(environments:\n  test:\n)/m, `$1${o.environmentExtra.map((l) => `    ${l}\n`).join('')}`)
    : base;
  writeFileSync(world.configFile, `${withEnv}services:\n${service}${o.extra ?? ''}`);
  const worker = o.noWorker ? undefined : await startWorker(world);
  const runway = await connectClient(world);
  return {
    world,
    nginx,
    worker,
    runway,
    artifactsDir,
    build: (version, opts = {}) => buildDemoArtifact({ dir: artifactsDir, version, failHealth: opts.failHealth }),
    async stop() {
      await runway.close();
      await worker?.stop();
      await nginx.stop();
      killFromPidFiles(web.map((h) => join(h.dir, o.service.name ?? 'app')));
      await world.stop();
    },
  };
}
