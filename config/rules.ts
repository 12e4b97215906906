import { backupReferences, drillReferences } from './backup-rules';
import { certificateReferences } from './cert-rules';
import { given, type Rule, type RuleProblem } from './rule-kit';
import { uniqueOnHost } from './host-rules';
import { serviceRoles, serviceSettings, strategyNeeds, strategySettings } from './service-rules';
import type { RunwayConfig } from './schema';
import { listenPort } from './values';

export type { Rule, RuleProblem };

const sshCredentials: Rule = (config) => {
  const { key, agent, knownHosts } = config.ssh;
  if (!key && !agent) return [{ path: ['ssh'], message: 'set key.file or agent: true so Runway can log in' }];
  if (key && key.file === knownHosts)
    return [{ path: ['ssh', 'knownHosts'], message: 'knownHosts is the private key file: give the known_hosts file' }];
  return [];
};

const sshRetry: Rule = ({ ssh }) =>
  ssh.retry.maxInterval < ssh.retry.initialInterval
    ? [
        {
          path: ['ssh', 'retry', 'maxInterval'],
          message: `maxInterval (${ssh.retry.maxInterval} ms) is shorter than initialInterval (${ssh.retry.initialInterval} ms)`,
        },
      ]
    : [];

/** One host per address and ssh port in an environment (a DNS name in any case is one name). */
const uniqueEndpoints: Rule = (config) => {
  const problems: RuleProblem[] = [];
  for (const [envName, env] of Object.entries(config.environments)) {
    const seen = new Map<string, string>();
    for (const [hostName, host] of Object.entries(env.hosts)) {
      const endpoint = `${host.address}:${host.port ?? config.ssh.port}`;
      const other = seen.get(endpoint.toLowerCase());
      if (other) {
        problems.push({
          path: ['environments', envName, 'hosts', hostName, 'address'],
          message: `${endpoint} is already host ${other} in this environment`,
        });
      }
      seen.set(endpoint.toLowerCase(), hostName);
    }
  }
  return problems;
};

/** Settings of the embedded dev server or of an external cluster, given for the other. */
const temporalSettings: Rule<Pick<RunwayConfig, 'temporal' | 'metrics'>> = (config, written) => {
  const { address, tls, apiKey, devServer } = config.temporal;
  const problems: RuleProblem[] = [];
  if (address !== 'embedded') {
    if (given(written, ['temporal', 'devServer']))
      problems.push({
        path: ['temporal', 'devServer'],
        message: 'devServer applies to the embedded server; remove it, or set address: embedded',
      });
    return problems;
  }
  if (tls)
    problems.push({ path: ['temporal', 'tls'], message: 'tls applies to an external cluster; set temporal.address' });
  if (apiKey) {
    problems.push({
      path: ['temporal', 'apiKey'],
      message: 'apiKey applies to an external cluster; set temporal.address',
    });
  }
  if (devServer.uiPort === devServer.port)
    problems.push({
      path: ['temporal', 'devServer', 'uiPort'],
      message: `the Web UI needs a port of its own (${devServer.port} is the server's)`,
    });
  const metrics = config.metrics && listenPort(config.metrics.listen);
  if (metrics === devServer.port || metrics === devServer.uiPort)
    problems.push({
      path: ['metrics', 'listen'],
      message: `port ${metrics} is the embedded Temporal server's (temporal.devServer): give another port`,
    });
  return problems;
};

const auditFiles: Rule = ({ audit }) =>
  audit.file === audit.drills
    ? [{ path: ['audit', 'drills'], message: 'the drill log needs a file of its own (it is audit.file)' }]
    : [];

/** The rules of a client's config (its `temporal:` section alone), run after the schema accepted it. */
export const CLIENT_RULES: Rule<Pick<RunwayConfig, 'temporal' | 'metrics'>>[] = [temporalSettings];

/** Every cross-field rule, run after the schema accepted the file. */
export const RULES: Rule[] = [
  sshCredentials,
  sshRetry,
  uniqueEndpoints,
  temporalSettings,
  auditFiles,
  strategyNeeds,
  strategySettings,
  serviceRoles,
  uniqueOnHost,
  serviceSettings,
  backupReferences,
  drillReferences,
  certificateReferences,
];
