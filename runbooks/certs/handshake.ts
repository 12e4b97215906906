import type { CertificateReport, EndpointReport } from '../../core/certs';
import type { CertificatePlan } from '../../core/plan';
import type { Runbook } from '../../workflows';
import { metrics } from '../../workflows/metrics';

/** A TLS handshake from the worker with every endpoint of an entry, sending its SNI: what each serves, or why not. */
export function handshakeAll(rb: Runbook<unknown>, entry: CertificatePlan): Promise<EndpointReport[]> {
  return Promise.all(
    entry.endpoints.map(async (e) => ({
      ...e,
      ...(await rb.tls({ address: e.address, port: e.port, servername: e.sni })),
    })),
  );
}

/** Exports what an entry's endpoints serve (not-after per endpoint) and its renew-before, for the alert rules. */
export function recordServed(report: Pick<CertificateReport, 'name' | 'endpoints' | 'renewBeforeDays'>): void {
  for (const e of report.endpoints) {
    if (!e.served) continue;
    const labels = { certificate: report.name, endpoint: `${e.host}:${e.port}` };
    metrics.set('certificateNotAfter', Date.parse(e.served.notAfter) / 1000, labels);
  }
  if (report.renewBeforeDays !== undefined)
    metrics.set('certificateRenewBefore', report.renewBeforeDays * 86_400, { certificate: report.name });
}
