/**
 * What `certCheck` finds on the wire, judged: for each certificate entry, every endpoint's served certificate, the
 * days left, and the reasons it fails — expired, not covering a name, different between endpoints, not reachable.
 * Pure: the handshakes are activities, the verdicts are here.
 */

/** A certificate as an endpoint served it (the leaf). */
export interface ServedCertificate {
  subject: string;
  /** DNS names from subjectAltName. */
  sans: string[];
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprint of the DER, as hex pairs with colons. */
  fingerprint: string;
  /** Its identifier for ACME Renewal Information (RFC 9773), when it names its issuer's key. */
  certId?: string;
}

/** One endpoint of an entry: where it was reached, and what it served (or why nothing). */
export interface EndpointReport {
  host: string;
  address: string;
  port: number;
  sni: string;
  served?: ServedCertificate;
  error?: string;
  daysLeft?: number;
}

export interface CertificateReport {
  name: string;
  environment: string;
  domains: string[];
  endpoints: EndpointReport[];
  /** The fewest days left on any endpoint. */
  daysLeft?: number;
  /** The renew-before, in days, for this certificate's lifetime. */
  renewBeforeDays?: number;
  /** Less than renew-before is left somewhere. */
  due: boolean;
  problems: string[];
}

export interface CertCheckReport {
  at: string;
  certificates: CertificateReport[];
  problems: string[];
  ok: boolean;
}

const DAY = 86_400_000;

/** True when a certificate name (possibly `*.example.com`) covers `name`; a wildcard covers one label only. */
export function covers(certName: string, name: string): boolean {
  const [a, b] = [certName.toLowerCase(), name.toLowerCase()];
  if (a === b) return true;
  if (!a.startsWith('*.')) return false;
  const dot = b.indexOf('.');
  return dot > 0 && b.slice(dot + 1) === a.slice(2);
}

/**
 * Judges one entry at time `now`: each endpoint must be reachable, serve a certificate that is valid now and covers
 * every domain of the entry, and all endpoints must serve the same certificate. `renewBefore` (ms, or a share of the
 * lifetime) decides `due`.
 */
export function judgeCertificate(
  entry: { name: string; environment: string; domains: string[]; renewBefore: number | { fraction: number } },
  endpoints: EndpointReport[],
  now: string,
): CertificateReport {
  const nowMs = Date.parse(now);
  const problems: string[] = [];
  const where = (e: EndpointReport) => `${e.host} (${e.address}:${e.port}, SNI ${e.sni})`;
  let renewBeforeDays: number | undefined;
  let due = false;
  for (const e of endpoints) {
    if (!e.served) {
      problems.push(`${entry.name}: ${where(e)}: ${e.error ?? 'no certificate served'}`);
      continue;
    }
    const notAfter = Date.parse(e.served.notAfter);
    const lifetime = notAfter - Date.parse(e.served.notBefore);
    const before = typeof entry.renewBefore === 'number' ? entry.renewBefore : entry.renewBefore.fraction * lifetime;
    renewBeforeDays = Math.round((before / DAY) * 10) / 10;
    e.daysLeft = Math.floor(((notAfter - nowMs) / DAY) * 10) / 10;
    if (notAfter <= nowMs) problems.push(`${entry.name}: ${where(e)}: expired on ${e.served.notAfter}`);
    else if (Date.parse(e.served.notBefore) > nowMs)
      problems.push(`${entry.name}: ${where(e)}: not valid before ${e.served.notBefore}`);
    else if (notAfter - nowMs < before) due = true;
    const uncovered = entry.domains.filter((d) => !e.served!.sans.some((san) => covers(san, d)));
    if (uncovered.length) {
      problems.push(
        `${entry.name}: ${where(e)}: the certificate does not cover ${uncovered.join(', ')} (it covers ${e.served.sans.join(', ') || 'no DNS name'})`,
      );
    }
  }
  const served = endpoints.filter((e) => e.served);
  const fingerprints = new Set(served.map((e) => e.served!.fingerprint));
  if (fingerprints.size > 1) {
    problems.push(
      `${entry.name}: endpoints serve different certificates: ${served
        .map((e) => `${e.host}:${e.port} serial ${e.served!.serial}`)
        .join(', ')}`,
    );
  }
  const left = served.map((e) => e.daysLeft!);
  return {
    name: entry.name,
    environment: entry.environment,
    domains: entry.domains,
    endpoints,
    daysLeft: left.length ? Math.min(...left) : undefined,
    renewBeforeDays,
    due,
    problems,
  };
}

/** `runway certs status` as text: one line per endpoint. */
export function certLines(report: CertCheckReport): string[] {
  const rows = [['CERTIFICATE', 'ENDPOINT', 'DAYS LEFT', 'NOT AFTER', 'SERIAL', 'STATUS']];
  for (const c of report.certificates) {
    for (const e of c.endpoints) {
      const bad = c.problems.some((p) => p.includes(`${e.host} (${e.address}:${e.port},`));
      rows.push([
        c.name,
        `${e.host}:${e.port}`,
        e.daysLeft === undefined ? '—' : String(e.daysLeft),
        e.served?.notAfter ?? '—',
        e.served?.serial ?? '—',
        bad ? 'FAILED' : c.due ? `due (renew ${c.renewBeforeDays} days before)` : 'ok',
      ]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

/** Whether a renewal is due, and why (or why not), from what is served, the CA's window and the operator's word. */
export function renewalDecision(
  judged: CertificateReport,
  window: { start: string; end: string } | undefined,
  now: string,
  force: boolean,
): { due: boolean; why: string } {
  const left = `${judged.daysLeft ?? '?'} days left`;
  if (force) return { due: true, why: `forced (${left})` };
  if (judged.problems.length) return { due: true, why: judged.problems.join('; ') };
  if (window && Date.parse(now) >= Date.parse(window.start))
    return { due: true, why: `inside the CA's renewal window (${window.start} – ${window.end}); ${left}` };
  if (judged.due) return { due: true, why: `${left}, renew ${judged.renewBeforeDays} days before` };
  const opens = window ? `; the CA's renewal window opens ${window.start}` : '';
  return { due: false, why: `not due: ${left}, renew ${judged.renewBeforeDays} days before${opens}` };
}
