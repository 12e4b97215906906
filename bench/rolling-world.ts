import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ServiceConfig } from '../config';
import { buildDemoArtifact, type DemoArtifact } from '../sandbox/artifacts';
import { killFromPidFiles } from '../sandbox/process';
import { sandboxConfigYaml } from '../sandbox/config';
import { demoServiceYaml } from '../sandbox/demo-service';
import { startSandbox, type Sandbox, type SandboxHost } from '../sandbox/hosts';
import { startNginx, type SandboxNginx } from '../sandbox/nginx';
import { quote } from '../core/quote';
import { fillTemplate } from '../core/template';
import type { HostRef } from '../core/plan';
import type { Undo } from './cleanup';
import { upstreamConf } from '../runbooks/deploy/traffic';
export { envFile } from '../runbooks/deploy/release';

/** The environment and service every deploy of the bench targets. */
export const ENVIRONMENT = 'bench';
export const SERVICE = 'app';

// Ports of their own (not the tests' 2222 and 18xxx), so the bench can run beside `npm test`.
const SSH_PORT = 2422;
const APP_PORT = 18301;
const LB_PORT = 18380;
const FIRST_OCTET = 151;

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

/** Starts a {@link RollingWorld} of `size` web hosts under `dir`; pushes its cleanups onto `undo` as it goes. */
export async function startRollingWorld(
  o: { dir: string; size: number; batchSize: string; healthTimeout: string; temporalAddress: string },
  undo: Undo,
): Promise<RollingWorld> {
  const names = [...Array.from({ length: o.size }, (_, i) => `web-${i + 1}`), 'lb-1'];
  const roles = Object.fromEntries(names.map((n) => [n, n === 'lb-1' ? ['lb'] : ['web']]));
  const sandbox = await startSandbox({
    dir: join(o.dir, 'hosts'),
    count: names.length,
    names,
    firstOctet: FIRST_OCTET,
    port: SSH_PORT,
  });
  undo.push(() => sandbox.stop());
  const web = sandbox.hosts.slice(0, o.size);
  const lb = sandbox.hosts[o.size];
  // The demo app runs detached (setsid), so stopping sshd leaves it running: its pid files say what to stop.
  undo.push(() => killFromPidFiles(web.map((h) => join(h.dir, SERVICE))));
  const servers = web.map((h) => `${h.address}:${APP_PORT}`);
  const nginx = await startNginx({ dir: lb.dir, address: lb.address, port: LB_PORT, upstreamName: 'app', servers });
  undo.push(() => nginx.stop());
  const artifactsDir = join(o.dir, 'artifacts');
  const service = demoServiceYaml({
    name: SERVICE,
    strategy: 'rolling',
    nginx,
    artifactsDir,
    ports: APP_PORT,
    batchSize: o.batchSize,
    healthTimeout: o.healthTimeout,
  });
  const configFile = join(o.dir, 'runway.yml');
  // The audit log of the bench's deploys stays in its own dir, not in the repository's `.runway/audit.jsonl`.
  const extra = `temporal:\n  address: ${o.temporalAddress}\naudit:\n  file: ${JSON.stringify(join(o.dir, 'audit.jsonl'))}\n`;
  const base = sandboxConfigYaml(sandbox, { environment: ENVIRONMENT, roles, extra });
  writeFileSync(configFile, `${base}services:\n${service}`);
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
    build: (version) => buildDemoArtifact({ dir: artifactsDir, version }),
  };
}

/** The service directory on a host (the service's `dir` is relative: under the host's own dir). */
export function serviceDir(world: RollingWorld, host: SandboxHost): string {
  return world.service.dir.startsWith('/') ? world.service.dir : `${host.dir}/${world.service.dir}`;
}

/** A service command template rendered for `host` with the values Runway's rolling deploy gives it, each quoted. */
export function renderFor(world: RollingWorld, template: string, host: SandboxHost, version: string): string {
  const dir = serviceDir(world, host);
  const values: Record<string, string> = {
    version,
    release: `${dir}/current`,
    dir,
    slot: '',
    port: String(world.port),
    address: host.address,
    host: host.name,
    service: SERVICE,
    environment: ENVIRONMENT,
  };
  return fillTemplate(template, (name) => quote(values[name] ?? ''));
}

/** The upstream file as Runway writes it with every web host in rotation (the bench checks it after each deploy). */
export function upstreamAllUp(world: RollingWorld): string {
  const hosts = world.web.map((h) => ({ name: h.name, address: h.address }) as HostRef);
  return upstreamConf(world.nginx.upstreamName, hosts, world.port);
}
