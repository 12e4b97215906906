import type { RunwayConfig } from './schema';

/** A cross-field check the schema cannot express; returns the problems it finds as path + message. */
export type Rule = (config: RunwayConfig) => Array<{ path: (string | number)[]; message: string }>;

const sshCredentials: Rule = (config) =>
  config.ssh.key || config.ssh.agent
    ? []
    : [{ path: ['ssh'], message: 'set key.file or agent: true so Runway can log in' }];

const uniqueEndpoints: Rule = (config) => {
  const problems: ReturnType<Rule> = [];
  for (const [envName, env] of Object.entries(config.environments)) {
    const seen = new Map<string, string>();
    for (const [hostName, host] of Object.entries(env.hosts)) {
      const endpoint = `${host.address}:${host.port ?? config.ssh.port}`;
      const other = seen.get(endpoint);
      if (other) {
        problems.push({
          path: ['environments', envName, 'hosts', hostName, 'address'],
          message: `${endpoint} is already host ${other} in this environment`,
        });
      }
      seen.set(endpoint, hostName);
    }
  }
  return problems;
};

const externalOnly: Rule = (config) => {
  const { address, tls, apiKey } = config.temporal;
  if (address !== 'embedded') return [];
  const problems: ReturnType<Rule> = [];
  if (tls)
    problems.push({ path: ['temporal', 'tls'], message: 'tls applies to an external cluster; set temporal.address' });
  if (apiKey) {
    problems.push({
      path: ['temporal', 'apiKey'],
      message: 'apiKey applies to an external cluster; set temporal.address',
    });
  }
  return problems;
};

const strategyNeeds: Rule = (config) => {
  const problems: ReturnType<Rule> = [];
  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    if (svc.strategy === 'blue-green') {
      if (!svc.slots)
        problems.push({
          path: [...at, 'strategy'],
          message: 'blue-green needs slots: { blue: <port>, green: <port> }',
        });
      else if (svc.slots.blue === svc.slots.green)
        problems.push({ path: [...at, 'slots'], message: 'blue and green need different ports' });
      if (!svc.loadBalancer)
        problems.push({ path: [...at, 'strategy'], message: 'blue-green needs a loadBalancer to switch traffic' });
    }
    if (svc.strategy === 'rolling' && svc.port === undefined) {
      problems.push({ path: [...at, 'strategy'], message: 'rolling needs port: the port each host serves on' });
    }
  }
  return problems;
};

/** A backup set's and a drill's environment, hosts and roles must exist; a drill names an existing set. */
const backupReferences: Rule = (config) => {
  const problems: ReturnType<Rule> = [];
  const place = (at: (string | number)[], envName: string, ref: { host?: string; role?: string }) => {
    const env = config.environments[envName];
    if (!env) return;
    const hosts = Object.entries(env.hosts);
    if (ref.host !== undefined && !env.hosts[ref.host])
      problems.push({ path: [...at, 'host'], message: `no host "${ref.host}" in environment ${envName}` });
    if (ref.role !== undefined && !hosts.some(([, h]) => h.roles.includes(ref.role!)))
      problems.push({ path: [...at, 'role'], message: `no host in environment ${envName} has role "${ref.role}"` });
  };
  for (const [name, set] of Object.entries(config.backups)) {
    const at = ['backups', name];
    if (!config.environments[set.environment]) {
      const known = Object.keys(config.environments).sort().join(', ') || 'none';
      problems.push({
        path: [...at, 'environment'],
        message: `unknown environment "${set.environment}" (known: ${known})`,
      });
      continue;
    }
    place(at, set.environment, set);
    if (set.copyTo) place([...at, 'copyTo'], set.environment, set.copyTo);
  }
  for (const [name, drill] of Object.entries(config.drills)) {
    const at = ['drills', name];
    const set = config.backups[drill.backup];
    if (!set) {
      const known = Object.keys(config.backups).sort().join(', ') || 'none';
      problems.push({ path: [...at, 'backup'], message: `unknown backup set "${drill.backup}" (known: ${known})` });
      continue;
    }
    place([...at, 'target'], set.environment, drill.target);
    if (set.kind === 'postgres' && !drill.target.database)
      problems.push({
        path: [...at, 'target', 'database'],
        message: 'a postgres drill needs the database to restore into',
      });
    if (drill.smoke.some((c) => 'http' in c) && drill.app?.port === undefined)
      problems.push({ path: [...at, 'app', 'port'], message: 'http smoke checks need app.port' });
  }
  return problems;
};

/** A certificate's environment and the hosts and roles of its endpoints must exist. */
const certificateReferences: Rule = (config) => {
  const problems: ReturnType<Rule> = [];
  for (const [name, cert] of Object.entries(config.certificates)) {
    const env = config.environments[cert.environment];
    if (!env) {
      const known = Object.keys(config.environments).sort().join(', ') || 'none';
      problems.push({
        path: ['certificates', name, 'environment'],
        message: `unknown environment "${cert.environment}" (known: ${known})`,
      });
      continue;
    }
    const place = (at: Array<string | number>, e: { host: string } | { role: string }) => {
      if ('host' in e && !env.hosts[e.host])
        problems.push({ path: [...at, 'host'], message: `no host "${e.host}" in environment ${cert.environment}` });
      if ('role' in e && !Object.values(env.hosts).some((h) => h.roles.includes(e.role)))
        problems.push({
          path: [...at, 'role'],
          message: `no host in environment ${cert.environment} has role "${e.role}"`,
        });
    };
    const at = ['certificates', name];
    cert.endpoints.forEach((e, i) => place([...at, 'endpoints', i], e));
    if (cert.acme && !cert.install)
      problems.push({ path: [...at, 'acme'], message: 'a renewed certificate needs install (hosts, paths, commands)' });
    if (cert.install && !cert.acme)
      problems.push({ path: [...at, 'install'], message: 'install needs acme: where the certificate comes from' });
    if (cert.schedule?.renew && !cert.acme)
      problems.push({ path: [...at, 'schedule', 'renew'], message: 'only an entry with acme can be renewed' });
    if (cert.acme) place([...at, 'acme', 'challenge', 'http01'], cert.acme.challenge.http01);
    if (cert.install) {
      place([...at, 'install'], cert.install);
      const files = [cert.install.certificate, cert.install.key, cert.install.chain].filter(Boolean);
      if (new Set(files).size < files.length)
        problems.push({ path: [...at, 'install'], message: 'certificate, key and chain must be different files' });
    }
    const wildcard = cert.acme && cert.domains.find((d) => d.startsWith('*.'));
    if (wildcard)
      problems.push({
        path: [...at, 'domains'],
        message: `${wildcard}: a wildcard needs the dns-01 challenge; Runway renews with http-01 only`,
      });
  }
  return problems;
};

/** Every cross-field rule, run after the schema accepted the file. */
export const RULES: Rule[] = [
  sshCredentials,
  uniqueEndpoints,
  externalOnly,
  strategyNeeds,
  backupReferences,
  certificateReferences,
];
