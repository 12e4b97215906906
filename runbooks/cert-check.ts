import { CertCheckInputSchema, type CertCheckInput } from '../config/inputs';
import { judgeCertificate, type CertCheckReport } from '../core/certs';
import { checkFailed } from '../core/failures';
import { defineRunbook, runbook } from '../workflows';
import { now } from '../workflows/time';
import { handshakeAll, recordServed } from './certs/handshake';

/**
 * Proves what is served: a TLS handshake from the worker with every endpoint of every certificate (or the named
 * ones), sending the entry's SNI, and the served certificate judged — expired, not covering a domain, different
 * between endpoints of one entry, or not reachable fails the run with that reason. The report (subject, SANs, issuer,
 * serial, not-after and days left per endpoint) is the run's result; `runway certs status` prints it.
 */
export const certCheck = defineRunbook(
  {
    description: 'handshake with every endpoint of each certificate and judge what it serves',
    input: CertCheckInputSchema,
  },
  async function certCheck(input) {
    return runbook<CertCheckInput>('certCheck', input, async (rb) => {
      const at = now();
      const certificates = await Promise.all(
        (rb.plan.certificates ?? []).map(async (entry) => {
          const endpoints = await rb.step(`handshake ${entry.name} (${entry.endpoints.length})`, () =>
            handshakeAll(rb, entry),
          );
          const judged = judgeCertificate(
            {
              name: entry.name,
              environment: entry.environment,
              domains: entry.config.domains,
              renewBefore: entry.config.renewBefore,
            },
            endpoints,
            at,
          );
          recordServed(judged);
          return judged;
        }),
      );
      const problems = certificates.flatMap((c) => c.problems);
      const report: CertCheckReport = { at, certificates, problems, ok: problems.length === 0 };
      rb.result(report as unknown as Record<string, unknown>);
      if (problems.length) {
        rb.notify(
          `🔒 certificate check: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems[0]}`,
        );
        throw checkFailed('VerificationFailed', problems.join('; '));
      }
    });
  },
);
