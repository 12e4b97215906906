import { join } from 'node:path';
import { loadConfig, type ServiceConfig } from '../config';
import type { DemoArtifact } from '../sandbox/artifacts';
import type { Sandbox, SandboxHost } from '../sandbox/hosts';
import type { SandboxNginx } from '../sandbox/nginx';
import { startSandboxWorld } from '../sandbox/world';
import type { HostRef } from '../core/plan';
import type { Undo } from './cleanup';
import * as scripts from '../runbooks/deploy/scripts';
export { envFile } from '../runbooks/deploy/scripts';

/** The environment and service every deploy of the bench targets. */
export const ENVIRONMENT = 'bench';
export const SERVICE = 'app';

// Ports of their own (not the tests' 2222 and 18xxx), so a look at `ss -ltn` tells the bench's hosts from the tests';
// the addresses are the bench's own anyway (startSandbox reserves them).
const SSH_PORT = 2422;
const APP_PORT = 18301;
const LB_PORT = 18380;

/**
 * web-1…web-N and lb-1 as real sshd hosts, nginx on lb-1 in front of the web hosts, and a runway.yml with the demo
 * service deployed `rolling` in batches of `batchSize`: what both Runway and Ansible deploy to.
 */
export interface RollingWorld {
  sandbox: Sandbox;
  web: SandboxHost[];
  lb: SandboxHost;
  nginx: SandboxNginx;
  configFile: string;
  service: ServiceConfig;
  /** The environment's `concurrency`: most hosts Runway runs one command on at once. */
  concurrency: number;
  port: number;
  /** Builds the demo app's release `version` where the service's artifact template finds it. */
  build(version: string): Promise<DemoArtifact>;
}

/** Starts a {@link RollingWorld} of `size` web hosts under `dir`; pushes its cleanup onto `undo`. */
export async function startRollingWorld(
  o: {
    dir: string;
    size: number;
    batchSize: string;
    healthTimeout: string;
    temporalAddress: string;
    /** The light demo app (one farm process answers for every host; see DemoServiceOptions.light). */
    light?: boolean;
    /** The environment's `concurrency` (default Runway's, 10). */
    concurrency?: number;
  },
  undo: Undo,
): Promise<RollingWorld> {
  // The audit log of the bench's deploys stays in its own dir, not in the repository's `.runway/audit.jsonl`.
  const extra = `temporal:\n  address: ${o.temporalAddress}\naudit:\n  file: ${JSON.stringify(join(o.dir, 'audit.jsonl'))}\n`;
  const world = await startSandboxWorld({
    dir: o.dir,
    web: o.size,
    environment: ENVIRONMENT,
    sshPort: SSH_PORT,
    lbPort: LB_PORT,
    service: {
      name: SERVICE,
      strategy: 'rolling',
      ports: APP_PORT,
      batchSize: o.batchSize,
      healthTimeout: o.healthTimeout,
      light: o.light,
    },
    environmentExtra: o.concurrency ? [`concurrency: ${o.concurrency}`] : undefined,
    extra,
  });
  undo.push(() => world.stop());
  const { sandbox, web, lb, nginx, configFile } = world;
  const { config } = loadConfig(configFile);
  return {
    sandbox,
    web,
    lb,
    nginx,
    configFile,
    service: config.services[SERVICE],
    concurrency: config.environments[ENVIRONMENT].concurrency,
    port: APP_PORT,
    build: (version) => world.build(version),
  };
}

/** The service directory on a host (the service's `dir` is relative: under the host's own dir). */
export function serviceDir(world: RollingWorld, host: SandboxHost): string {
  return scripts.serviceDir(world.service.dir, host.dir);
}

/** A service command template rendered for `host` with the values Runway's rolling deploy gives it, each quoted. */
export function renderFor(world: RollingWorld, template: string, host: SandboxHost, version: string): string {
  const values = scripts.instanceValues(
    serviceDir(world, host),
    { version, port: world.port },
    host,
    SERVICE,
    ENVIRONMENT,
  );
  return scripts.renderCommand(template, values);
}

/** The upstream file as Runway writes it with every web host in rotation (the bench checks it after each deploy). */
export function upstreamAllUp(world: RollingWorld): string {
  const hosts = world.web.map((h) => ({ name: h.name, address: h.address }) as HostRef);
  return scripts.upstreamConf(world.nginx.upstreamName, hosts, world.port);
}
