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

/** Every cross-field rule, run after the schema accepted the file. */
export const RULES: Rule[] = [sshCredentials, uniqueEndpoints, externalOnly];
