import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError, resolveSecret, type LoadedConfig } from '../config';
import type { CertificatePlan, HostRef } from '../core/plan';
import { underHost } from './backup-plan';
import { own } from '../config/rule-kit';

/** Which certificates a run is about: `certCheck` names several (default: all), `certRenew` one. */
export type CertificateScope = { names?: string[] } | { renew: string; secrets: boolean };

/**
 * The certificates a run is about, each endpoint resolved to its hosts' addresses and, for a renewal, its install
 * and webroot hosts. A renewal's account key reference is resolved here (on the worker) only to refuse one that
 * resolves to nothing or to no private key; its value stays out of the plan.
 */
export function certificatePlans(
  loaded: LoadedConfig,
  scope: CertificateScope,
  hostsOf: (environment: string) => HostRef[],
): CertificatePlan[] {
  const { certificates } = loaded.config;
  const names = 'renew' in scope ? [scope.renew] : (scope.names ?? Object.keys(certificates));
  const field = 'renew' in scope ? 'input.certificate' : 'input.names';
  return names.map((name) => {
    const config = own(certificates, name);
    if (!config) {
      const known = Object.keys(certificates).sort().join(', ') || 'none';
      throw new InputError(`${field}: unknown certificate "${name}" (known: ${known})`);
    }
    const hosts = hostsOf(config.environment);
    const serving = (at: string, e: { host: string } | { role: string }) => {
      const found =
        'host' in e ? hosts.filter((h) => h.name === e.host) : hosts.filter((h) => h.roles.includes(e.role));
      if (found.length === 0) throw new InputError(`certificates.${name}.${at}: no host serves ${JSON.stringify(e)}`);
      return found;
    };
    const endpoints = config.endpoints.flatMap((e) =>
      serving('endpoints', e).map((h) => ({
        host: h.name,
        address: h.address,
        port: e.port,
        sni: e.sni ?? config.domains[0],
      })),
    );
    const plan: CertificatePlan = { name, environment: config.environment, config, endpoints };
    if (!('renew' in scope)) return plan;
    const { acme, install } = config;
    if (!acme || !install) {
      throw new InputError(`${field}: certificate "${name}" is monitored only (it has no acme and install sections)`);
    }
    if (scope.secrets) checkAccountKey(name, acme.accountKey);
    if (acme.caFile) {
      try {
        readFileSync(acme.caFile);
      } catch (err) {
        throw new InputError(
          `certificates.${name}.acme.caFile: cannot read ${acme.caFile} on the worker: ${code(err)}`,
        );
      }
    }
    const { certificate, key, chain } = install;
    return {
      ...plan,
      install: serving('install', install).map((host) => ({
        host,
        files: {
          certificate: underHost(host, certificate),
          key: underHost(host, key),
          ...(chain ? { chain: underHost(host, chain) } : {}),
        },
      })),
      webroot: serving('acme.challenge.http01', acme.challenge.http01).map((host) => ({
        host,
        dir: underHost(host, acme.challenge.http01.webroot),
      })),
    };
  });
}

function checkAccountKey(name: string, ref: Parameters<typeof resolveSecret>[0]): void {
  const where = `certificates.${name}.acme.accountKey`;
  let pem: string;
  try {
    pem = resolveSecret(ref, where).reveal();
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  try {
    if (createPrivateKey(pem).type !== 'private') throw new Error();
  } catch {
    throw new InputError(`${where}: the reference does not resolve to a private key in PEM`);
  }
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
