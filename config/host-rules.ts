import { posix } from 'node:path';
import { own, pickHost, type Rule, type RuleProblem } from './rule-kit';
import type { EnvironmentConfig, HostConfig, RunwayConfig } from './schema';

/**
 * What each host is asked to hold alone: a port to listen on, a service directory, a load balancer's upstream file and
 * upstream name, a certificate's files. Two entries claiming one of them on one host would take each other's port or
 * overwrite each other's releases, upstream or certificate; the later claim is refused, naming the earlier one.
 */

type Kind = 'port' | 'dir' | 'upstreamFile' | 'upstream' | 'file';

/** One thing an entry claims on a host. */
interface Claim {
  kind: Kind;
  value: string | number;
  path: (string | number)[];
  /** The entry that claims it: two claims of one entry never clash here (other rules see to those). */
  owner: string;
}

const ADVICE: Record<Kind, string> = {
  port: 'give another port',
  dir: 'each service needs a directory of its own',
  upstreamFile: 'each service needs an upstream file of its own',
  upstream: 'nginx refuses two upstream blocks of one name',
  file: 'each certificate needs files of its own',
};

/** A path on a host as the runbooks resolve it: absolute, or under the host's dir (default: the login home). */
function onHost(host: HostConfig, path: string): string {
  return posix.normalize(path.startsWith('/') ? path : `${host.dir ?? '.'}/${path}`).replace(/(.)\/+$/, '$1');
}

/** True when a `{ host }` or `{ role }` reference takes in this host (a role: every host with it). */
function takesIn(host: HostConfig, ref: { host: string } | { role: string }, name: string): boolean {
  return 'host' in ref ? ref.host === name : host.roles.includes(ref.role);
}

/** Everything the config asks `name` (a host of `env`) to hold. */
function claimsOf(config: RunwayConfig, envName: string, env: EnvironmentConfig, name: string): Claim[] {
  const host = env.hosts[name];
  const sshPort = host.port === undefined ? ['ssh', 'port'] : ['environments', envName, 'hosts', name, 'port'];
  const claims: Claim[] = [{ kind: 'port', value: host.port ?? config.ssh.port, path: sshPort, owner: 'ssh' }];
  for (const [svcName, svc] of Object.entries(config.services)) {
    const at = ['services', svcName];
    const owner = at.join('.');
    if (svc.roles.some((role) => host.roles.includes(role))) {
      claims.push({ kind: 'dir', value: onHost(host, svc.dir), path: [...at, 'dir'], owner });
      if (svc.strategy === 'rolling' && svc.port !== undefined)
        claims.push({ kind: 'port', value: svc.port, path: [...at, 'port'], owner });
      if (svc.strategy === 'blue-green' && svc.slots) {
        for (const slot of ['blue', 'green'] as const)
          claims.push({ kind: 'port', value: svc.slots[slot], path: [...at, 'slots', slot], owner });
      }
    }
    const lb = svc.loadBalancer;
    if (lb && host.roles.includes(lb.role)) {
      const lbAt = [...at, 'loadBalancer'];
      claims.push({
        kind: 'upstreamFile',
        value: onHost(host, lb.upstreamFile),
        path: [...lbAt, 'upstreamFile'],
        owner,
      });
      claims.push({ kind: 'upstream', value: lb.upstream, path: [...lbAt, 'upstream'], owner });
    }
  }
  for (const [drillName, drill] of Object.entries(config.drills)) {
    const set = own(config.backups, drill.backup);
    const port = drill.app?.port;
    if (!set || set.environment !== envName || port === undefined) continue;
    if (pickHost(env, drill.target) === name)
      claims.push({
        kind: 'port',
        value: port,
        path: ['drills', drillName, 'app', 'port'],
        owner: `drills.${drillName}`,
      });
  }
  for (const [certName, cert] of Object.entries(config.certificates)) {
    const install = cert.install;
    if (cert.environment !== envName || !install || !takesIn(host, install, name)) continue;
    for (const key of ['certificate', 'key', 'chain'] as const) {
      const file = install[key];
      if (file === undefined) continue;
      const path = ['certificates', certName, 'install', key];
      claims.push({ kind: 'file', value: onHost(host, file), path, owner: `certificates.${certName}` });
    }
  }
  return claims;
}

/** Each port, service dir, upstream file and name, and certificate file on a host has one owner. */
export const uniqueOnHost: Rule = (config) => {
  const problems: RuleProblem[] = [];
  const reported = new Set<string>();
  for (const [envName, env] of Object.entries(config.environments)) {
    for (const name of Object.keys(env.hosts)) {
      const claims = claimsOf(config, envName, env, name);
      claims.forEach((claim, i) => {
        const first = claims
          .slice(0, i)
          .find((c) => c.kind === claim.kind && c.value === claim.value && c.owner !== claim.owner);
        const key = `${claim.path.join('.')}|${first?.path.join('.')}`;
        if (!first || reported.has(key)) return;
        reported.add(key);
        const what =
          claim.kind === 'port'
            ? `port ${claim.value}`
            : claim.kind === 'upstream'
              ? `upstream ${claim.value}`
              : claim.value;
        const theirs = first.owner === 'ssh' ? 'the ssh port' : first.path.join('.');
        problems.push({
          path: claim.path,
          message: `${what} is also ${theirs} on host ${name} (environment ${envName}): ${ADVICE[claim.kind]}`,
        });
      });
    }
  }
  return problems;
};
