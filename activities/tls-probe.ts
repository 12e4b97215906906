import { connect, type PeerCertificate } from 'node:tls';
import type { TlsProbeRequest, TlsProbeResult } from '../core/plan';

/**
 * A TLS handshake with an endpoint from the worker, sending `servername` as SNI, and the leaf certificate it served.
 * Trust is not checked here — the certificate itself is what is judged (expiry, names, sameness across endpoints) —
 * so a self-signed or privately issued certificate is reported like any other. An endpoint that cannot be reached
 * is an answer too (`error`), not an activity failure: the check reports it.
 */
export async function tlsProbe(request: TlsProbeRequest): Promise<TlsProbeResult> {
  const { address, port, servername, timeoutMs = 10_000 } = request;
  return new Promise<TlsProbeResult>((resolve) => {
    const socket = connect({ host: address, port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const done = (result: TlsProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: `no TLS handshake within ${timeoutMs} ms` }), timeoutMs);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert || !cert.raw) return done({ error: 'the endpoint served no certificate' });
      done({ served: describe(cert) });
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ error: `cannot connect: ${err.code ? `${err.code} ` : ''}${err.message}` }),
    );
  });
}

function describe(cert: PeerCertificate) {
  const names = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const dn = (o: Record<string, string | string[]> | undefined) =>
    Object.entries(o ?? {})
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
      .join(', ');
  return {
    subject: dn(cert.subject as unknown as Record<string, string>),
    sans: names,
    issuer: dn(cert.issuer as unknown as Record<string, string>),
    serial: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.valid_from).toISOString(),
    notAfter: new Date(cert.valid_to).toISOString(),
    fingerprint: cert.fingerprint256,
  };
}
