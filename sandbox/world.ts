import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildDemoArtifact, type DemoArtifact } from './artifacts';
import { sandboxConfigYaml } from './config';
import { demoServiceYaml, type DemoServiceOptions } from './demo-service';
import { startSandbox, type Sandbox, type SandboxHost } from './hosts';
import { startNginx, type SandboxNginx } from './nginx';
import { startFarm, type Farm } from './farm';
import { killFromPidFiles } from './process';

/** Options for {@link startSandboxWorld}. */
export interface SandboxWorldOptions {
  /** Root of the world: `hosts/`, `artifacts/` and `runway.yml` go here (created if missing). */
  dir: string;
  /** Number of web hosts, `web-1`…`web-N`. */
  web: number;
  /** The demo service as {@link demoServiceYaml} takes it (strategy, ports, batch size, timeouts, artifactUrl…). */
  service: Omit<DemoServiceOptions, 'nginx' | 'artifactsDir'>;
  /** Environment name in runway.yml; default `sandbox`. */
  environment?: string;
  /** Loopback addresses, the web hosts' then lb-1's (length `web + 1`); default: reserved (see startSandbox). */
  addresses?: string[];
  /** Port of every host's sshd; default 2222. */
  sshPort?: number;
  /** Port nginx listens on, on lb-1's address; default 18080. */
  lbPort?: number;
  /** Top-level YAML appended as is: a `temporal:` section, `notify:`, `audit:`… */
  extra?: string;
  /** Lines under the environment, e.g. `approval: { approvers: [alice], timeout: 5m }`. */
  environmentExtra?: string[];
  /** Lines under `ssh:`, e.g. `heartbeatTimeout: 3s`. */
  sshExtra?: string[];
}

/**
 * Web hosts `web-1`…`web-N` (role `web`) and `lb-1` (role `lb`) as real sshd hosts, real nginx on lb-1 in front of the
 * web hosts on the service's port, and a runway.yml with the demo app as a service: what the demo, the deploy tests
 * and the rolling benchmark deploy to.
 */
export interface SandboxWorld {
  dir: string;
  sandbox: Sandbox;
  web: SandboxHost[];
  lb: SandboxHost;
  nginx: SandboxNginx;
  configFile: string;
  /** Where {@link SandboxWorld.build} writes releases, and where the service's `file` artifact looks for them. */
  artifactsDir: string;
  /** The port nginx sends traffic to on the web hosts: the service's port, or its blue slot's. */
  appPort: number;
  /** Builds the demo app's release `version` (with `failHealth`, one whose health check fails). */
  build(version: string, opts?: { failHealth?: boolean }): Promise<DemoArtifact>;
  /** Stops nginx, the demo apps (they run detached, so they outlive sshd) and the hosts; idempotent. */
  stop(): Promise<void>;
}

/** Starts a {@link SandboxWorld}; if any part fails to start, what did start is stopped before the error is thrown. */
export async function startSandboxWorld(o: SandboxWorldOptions): Promise<SandboxWorld> {
  const dir = path.resolve(o.dir);
  const name = o.service.name ?? 'app';
  const names = [...Array.from({ length: o.web }, (_, i) => `web-${i + 1}`), 'lb-1'];
  const sandbox = await startSandbox({
    dir: path.join(dir, 'hosts'),
    count: names.length,
    names,
    addresses: o.addresses,
    port: o.sshPort,
  });
  const [web, lb] = [sandbox.hosts.slice(0, o.web), sandbox.hosts[o.web]];
  let nginx: SandboxNginx | undefined;
  let farm: Farm | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await nginx?.stop();
      await farm?.stop();
      killFromPidFiles(web.map((h) => path.join(h.dir, name)));
      await sandbox.stop();
    })());
  try {
    const ports = o.service.ports;
    const appPort = typeof ports === 'number' ? ports : (ports?.blue ?? 18001);
    // In lb-1's own dir: its login user (the one a runbook's reload runs as) must reach nginx's prefix.
    nginx = await startNginx({
      dir: lb.dir,
      address: lb.address,
      port: o.lbPort ?? 18080,
      upstreamName: name,
      servers: web.map((h) => `${h.address}:${appPort}`),
    });
    if (o.service.light) {
      const hosts = web.map((h) => ({ address: h.address, dir: path.join(h.dir, name) }));
      farm = await startFarm(path.join(dir, 'farm.json'), appPort, hosts);
    }
    const artifactsDir = path.join(dir, 'artifacts');
    const roles = Object.fromEntries(sandbox.hosts.map((h) => [h.name, h === lb ? ['lb'] : ['web']]));
    const service = demoServiceYaml({ ...o.service, nginx, artifactsDir });
    const configFile = path.join(dir, 'runway.yml');
    const config = sandboxConfigYaml(sandbox, {
      environment: o.environment,
      roles,
      sshExtra: o.sshExtra,
      environmentExtra: o.environmentExtra,
      extra: `services:\n${service}${o.extra ?? ''}`,
    });
    writeFileSync(configFile, config);
    return {
      dir,
      sandbox,
      web,
      lb,
      nginx,
      configFile,
      artifactsDir,
      appPort,
      build: (version, opts = {}) => buildDemoArtifact({ dir: artifactsDir, version, failHealth: opts.failHealth }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
