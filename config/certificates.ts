import { z } from 'zod';
import { DurationSchema } from './duration';
import { NameSchema } from './names';
import { ScheduleSpecSchema } from './backups';

/**
 * The `certificates` section of runway.yml: named certificates, the domains they must cover and the endpoints that
 * serve them. `runway certs check|status` and the `certCheck` runbook handshake with every endpoint from the worker.
 * Entries are monitored: Runway checks what is served (a certificate renewed elsewhere, by a CDN or a cron job).
 */

/** A DNS name a certificate covers: `example.com`, `*.example.com`. */
export const DomainSchema = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i,
    'expected a domain name such as example.com or *.example.com',
  );

/** A certificate's renew-before: a duration (`30d`) or a share of its lifetime (`33%`). */
export const RenewBeforeSchema = z.union(
  [
    DurationSchema,
    z
      .string()
      .regex(/^\d{1,2}(\.\d+)?%$/, 'expected a duration like 30d or a share of the lifetime like 33%')
      .transform((p) => ({ fraction: Number(p.slice(0, -1)) / 100 })),
  ],
  { error: 'expected a duration like 30d or a share of the lifetime like 33%' },
);

const EndpointSchema = z
  .intersection(
    z.union([z.strictObject({ host: NameSchema }), z.strictObject({ role: NameSchema })], {
      error: 'expected { host: <name> } or { role: <role> }, with port and sni',
    }),
    z.strictObject({
      port: z.number().int().min(1).max(65535).default(443),
      sni: DomainSchema.optional().describe('the name sent in the handshake (default: the first domain)'),
    }),
  )
  .describe('every host of the role (or the host) is checked at its address and this port, from the worker');

export const CertificateSchema = z.strictObject({
  environment: NameSchema.describe('environment whose hosts serve the certificate'),
  domains: z.array(DomainSchema).min(1).describe('names the certificate must cover (its SANs)'),
  endpoints: z.array(EndpointSchema).min(1),
  renewBefore: RenewBeforeSchema.default(30 * 86_400_000).describe(
    '`runway certs status` fails when less than this is left',
  ),
  schedule: z.strictObject({ check: ScheduleSpecSchema.optional() }).optional(),
});

export type CertificateConfig = z.infer<typeof CertificateSchema>;
export type RenewBefore = CertificateConfig['renewBefore'];
