import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import type { ServedCertificate } from '../core/certs';
import { AuthorityKeyIdentifierExtension, X509Certificate as PeculiarCertificate } from '@peculiar/x509';
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
      const x509 = new X509Certificate(cert.raw);
      done({ served: { ...describeCertificate(x509), certId: certIdOf(x509) } });
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ error: `cannot connect: ${err.code ? `${err.code} ` : ''}${err.message}` }),
    );
  });
}

/** A certificate as Runway reports it: names, issuer, serial, validity, fingerprint and its ARI identifier. */
export function describeCertificate(cert: X509Certificate): ServedCertificate {
  const names = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const dn = (text: string | undefined) => (text ?? '').split('\n').filter(Boolean).join(', ');
  return {
    subject: dn(cert.subject),
    sans: names,
    issuer: dn(cert.issuer),
    serial: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint: cert.fingerprint256,
  };
}

function certIdOf(cert: X509Certificate): string | undefined {
  try {
    return ariCertId(cert.toString());
  } catch {
    return undefined;
  }
}

/** RFC 9773's certificate identifier: base64url(authority key id) "." base64url(serial). */
export function ariCertId(pem: string): string | undefined {
  const cert = new PeculiarCertificate(pem);
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  if (!aki) return undefined;
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
  let serial = cert.serialNumber.toLowerCase();
  if (serial.length % 2) serial = `0${serial}`;
  // A DER INTEGER whose first byte has its high bit set carries a leading zero byte.
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${b64(aki)}.${b64(serial)}`;
}
