import { z } from 'zod';
import { DurationSchema, PositiveDurationSchema } from './duration';
import { NameSchema } from './names';
import { ScheduleSpecSchema } from './backups';
import { SecretRefSchema } from './secret';
import { templateSchema } from './templates';
import { LocalPathSchema, PortSchema } from './values';

/**
 * The `certificates` section of runway.yml: named certificates, the domains they must cover and the endpoints that
 * serve them. `runway certs check|status` and the `certCheck` runbook handshake with every endpoint from the worker.
 * An entry with `acme` and `install` is renewed by Runway (`certRenew`); one without is monitored only (a certificate
 * renewed elsewhere, by a CDN or a cron job).
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
export const RenewBeforeSchema = z
  .union(
    [
      DurationSchema,
      z
        .string()
        .regex(/^\d{1,2}(\.\d+)?%$/, 'expected a duration like 30d or a share of the lifetime like 33%')
        .transform((p) => ({ fraction: Number(p.slice(0, -1)) / 100 })),
    ],
    { error: 'expected a duration like 30d or a share of the lifetime like 33%' },
  )
  .refine((r) => typeof r === 'number' || r.fraction > 0, 'a share of 0% would never renew: give more than 0%');

const EndpointSchema = z
  .intersection(
    z.union([z.strictObject({ host: NameSchema }), z.strictObject({ role: NameSchema })], {
      error: 'expected { host: <name> } or { role: <role> }, with port and sni',
    }),
    z.strictObject({
      port: PortSchema.default(443),
      sni: DomainSchema.optional().describe('the name sent in the handshake (default: the first domain)'),
    }),
  )
  .describe('every host of the role (or the host) is checked at its address and this port, from the worker');

/** A file on a host (relative: under the host's dir), in characters a shell line and nginx can both carry. */
const HostFileSchema = z
  .string()
  .regex(/^[A-Za-z0-9._/+@-]*[A-Za-z0-9._+@-]$/, 'expected a path of [A-Za-z0-9._/+@-]')
  .refine((p) => !p.split('/').includes('..'), 'a path must not contain ".."')
  .refine((p) => !p.startsWith('-'), 'a path must not start with "-"');

const HostOrRoleSchema = z.union([z.strictObject({ host: NameSchema }), z.strictObject({ role: NameSchema })], {
  error: 'expected { host: <name> } or { role: <role> }',
});

/** Where and how a certificate is obtained: an ACME directory, the account, and the HTTP-01 webroot. */
const AcmeSchema = z.strictObject({
  directory: z
    .url({ protocol: /^https$/, error: 'expected the https URL of an ACME directory' })
    .describe('e.g. https://acme-v02.api.letsencrypt.org/directory'),
  email: z.email().optional().describe('the account contact'),
  accountKey: SecretRefSchema.describe('reference to the account key (PEM); the account is made or found with it'),
  caFile: LocalPathSchema.optional().describe(
    "PEM on the worker trusted for the directory's TLS, for a private ACME server",
  ),
  challenge: z.strictObject({
    http01: z
      .intersection(HostOrRoleSchema, z.strictObject({ webroot: HostFileSchema }))
      .describe('challenge files are written under <webroot>/.well-known/acme-challenge/ on every host, then removed'),
  }),
  attempts: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(2)
    .describe('orders tried when a challenge fails, before the run fails'),
  retryAfter: DurationSchema.default(60_000).describe('pause before the next order'),
});

/** Placeholders of the test and reload commands: the host's name, address and dir, and the files' paths there. */
export const INSTALL_PLACEHOLDERS = ['host', 'address', 'dir', 'certificate', 'key', 'chain'] as const;

/** The hosts that serve the certificate from files: where they live and how the server is tested and reloaded. */
const InstallSchema = z.intersection(
  HostOrRoleSchema,
  z.strictObject({
    certificate: HostFileSchema.describe(
      "the certificate, with its chain unless `chain` is given; relative paths are under the host's dir",
    ),
    key: HostFileSchema.describe('the private key; written with mode 0600, its owner kept'),
    chain: HostFileSchema.optional().describe('the chain alone, when the server reads it from its own file'),
    test: templateSchema(INSTALL_PLACEHOLDERS).describe(
      'checks the server config with the new files (e.g. nginx -t); non-zero refuses them',
    ),
    reload: templateSchema(INSTALL_PLACEHOLDERS).describe('makes the server read the files (e.g. nginx -s reload)'),
    verifyTimeout: PositiveDurationSchema.default(30_000).describe(
      'how long every endpoint may take to serve the new one',
    ),
  }),
);

export const CertificateSchema = z.strictObject({
  environment: NameSchema.describe('environment whose hosts serve the certificate'),
  domains: z
    .array(DomainSchema)
    .min(1, 'expected at least one domain')
    .describe('names the certificate must cover (its SANs)'),
  endpoints: z.array(EndpointSchema).min(1, 'expected at least one endpoint to check'),
  renewBefore: RenewBeforeSchema.default(30 * 86_400_000).describe(
    '`runway certs status` fails when less than this is left',
  ),
  acme: AcmeSchema.optional().describe('renewed by Runway; without it (and install) the entry is monitored only'),
  install: InstallSchema.optional(),
  schedule: z.strictObject({ check: ScheduleSpecSchema.optional(), renew: ScheduleSpecSchema.optional() }).optional(),
});

export type CertificateConfig = z.infer<typeof CertificateSchema>;
export type RenewBefore = CertificateConfig['renewBefore'];
export type AcmeConfig = z.infer<typeof AcmeSchema>;
export type InstallConfig = z.infer<typeof InstallSchema>;
