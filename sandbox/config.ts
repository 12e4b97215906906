import type { Sandbox } from './hosts';

/** How sandbox hosts map to an environment: roles per host name (default: every host is `web`). */
export interface SandboxConfigOptions {
  environment?: string;
  roles?: Record<string, string[]>;
  /** Extra top-level YAML appended as is (e.g. a `temporal:` section). */
  extra?: string;
  /** ssh settings appended under `ssh:` (two-space indented YAML lines). */
  sshExtra?: string[];
  /** Environment settings appended under the environment (e.g. `approval: { ... }`). */
  environmentExtra?: string[];
}

/**
 * A runway.yml for the sandbox hosts: its client key, its known_hosts, and each host's own base dir (where its
 * service directories and its journal live — sandbox hosts share one machine).
 */
export function sandboxConfigYaml(sandbox: Sandbox, options: SandboxConfigOptions = {}): string {
  const env = options.environment ?? 'sandbox';
  const lines = [
    'ssh:',
    `  user: ${JSON.stringify(sandbox.user)}`,
    `  key: { file: ${JSON.stringify(sandbox.clientKeyFile)} }`,
    `  knownHosts: ${JSON.stringify(sandbox.knownHostsFile)}`,
    ...(options.sshExtra ?? []).map((l) => `  ${l}`),
    'environments:',
    `  ${env}:`,
    '    hosts:',
    ...sandbox.hosts.map((h) => {
      const roles = options.roles?.[h.name] ?? ['web'];
      return (
        `      ${h.name}: { address: ${h.address}, port: ${h.port}, roles: [${roles.join(', ')}], ` +
        `dir: ${JSON.stringify(h.dir)} }`
      );
    }),
    ...(options.environmentExtra ?? []).map((l) => `    ${l}`),
  ];
  return lines.join('\n') + '\n' + (options.extra ?? '');
}
