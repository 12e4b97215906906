import type { EndpointReport } from '../../core/certs';
import type { CertificatePlan } from '../../core/plan';
import type { Runbook } from '../../workflows';

/** A TLS handshake from the worker with every endpoint of an entry, sending its SNI: what each serves, or why not. */
export function handshakeAll(rb: Runbook<unknown>, entry: CertificatePlan): Promise<EndpointReport[]> {
  return Promise.all(
    entry.endpoints.map(async (e) => ({
      ...e,
      ...(await rb.tls({ address: e.address, port: e.port, servername: e.sni })),
    })),
  );
}
