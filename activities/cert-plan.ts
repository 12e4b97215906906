import { InputError, type LoadedConfig } from '../config';
import type { CertificatePlan, HostRef } from '../core/plan';

/** The certificates a `certCheck` input names (default: all), each endpoint resolved to its hosts' addresses. */
export function certificatePlans(
  loaded: LoadedConfig,
  names: string[] | undefined,
  hostsOf: (environment: string) => HostRef[],
): CertificatePlan[] {
  const { certificates } = loaded.config;
  return (names ?? Object.keys(certificates)).map((name) => {
    const config = certificates[name];
    if (!config) {
      const known = Object.keys(certificates).sort().join(', ') || 'none';
      throw new InputError(`input.names: unknown certificate "${name}" (known: ${known})`);
    }
    const hosts = hostsOf(config.environment);
    const endpoints = config.endpoints.flatMap((e) => {
      const serving =
        'host' in e ? hosts.filter((h) => h.name === e.host) : hosts.filter((h) => h.roles.includes(e.role));
      if (serving.length === 0)
        throw new InputError(`certificates.${name}.endpoints: no host serves ${JSON.stringify(e)}`);
      return serving.map((h) => ({ host: h.name, address: h.address, port: e.port, sni: e.sni ?? config.domains[0] }));
    });
    return { name, environment: config.environment, config, endpoints };
  });
}
