import { z } from 'zod';
import { DurationSchema, PositiveDurationSchema } from './duration';
import { NameSchema } from './names';
import { SecretRefSchema } from './secret';
import { ServiceSchema, type ServiceConfig } from './services';
import { BackupSetSchema, DrillSchema, SchedulesSchema } from './backups';
import { CertificateSchema } from './certificates';
import { parsePublicKey } from '../core/sshsig';
import {
  addressProblem,
  HostAddressSchema,
  hostPath,
  httpUrl,
  ListenSchema,
  LocalPathSchema,
  LoginUserSchema,
  PortSchema,
} from './values';

export { NameSchema };

const FileRefSchema = z.strictObject({ file: LocalPathSchema.describe('path of a PEM file') });

/** Where the Temporal frontend is: `host:port`, or `embedded` for the dev server `runway dev` starts. */
const TemporalAddressSchema = z.string().superRefine((text, ctx) => {
  if (text === 'embedded') return;
  const match = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(text);
  const host = match?.[1].replace(/^\[(.*)\]$/, '$1');
  const port = Number(match?.[2]);
  if (match && host !== undefined && !addressProblem(host) && port >= 1 && port <= 65535) return;
  ctx.addIssue({
    code: 'custom',
    message: `expected host:port (e.g. temporal.example.com:7233) or embedded, got ${JSON.stringify(text)}`,
  });
});

const KeyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a key id like 2026-12 or k2');

/**
 * Payload encryption: `keys` maps key ids to references of 32-byte keys (base64 or 64 hex digits); `keyId` is the one
 * new payloads are encrypted with, and every other key stays for decoding what it encrypted. `codecServer` is
 * `runway codec-server`, which the Web UI and the Temporal CLI call to show payloads in clear to a holder of its token.
 */
export const EncryptionSchema = z
  .strictObject({
    keyId: KeyIdSchema.describe('the key new payloads are encrypted with'),
    keys: z.record(KeyIdSchema, SecretRefSchema).describe('every key id still needed to decode a payload'),
    codecServer: z
      .strictObject({
        listen: ListenSchema.default('127.0.0.1:8888'),
        origins: z
          .array(z.url())
          .default([])
          .describe('Web UI origins allowed to call it from a browser (CORS), e.g. http://localhost:8233'),
        token: SecretRefSchema.describe('bearer token a caller must present'),
      })
      .optional(),
  })
  .refine((e) => e.keyId in e.keys, { message: 'keyId must be one of keys', path: ['keyId'] });

export const TemporalSchema = z
  .strictObject({
    address: TemporalAddressSchema.default('embedded').describe(
      'host:port of the Temporal frontend, or "embedded" for the local dev server runway dev starts',
    ),
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'expected a namespace name of letters, digits, ".", "_" or "-"')
      .default('default'),
    taskQueue: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/, 'expected a task queue name of letters, digits and ._:/@+-')
      .default('runway')
      .describe('task queue the Runway worker polls'),
    uiUrl: httpUrl().optional().describe('base URL of the Temporal Web UI, for links to runs'),
    tls: z
      .union(
        [
          z.literal(true),
          z.strictObject({
            serverName: z.string().optional(),
            ca: FileRefSchema.optional(),
            cert: FileRefSchema.optional(),
            key: FileRefSchema.optional(),
          }),
        ],
        { error: 'expected true, or { serverName, ca, cert, key } with file references' },
      )
      .optional()
      .describe('true for TLS with system roots, or files for mTLS'),
    apiKey: SecretRefSchema.optional().describe('API key reference, e.g. { env: TEMPORAL_API_KEY }'),
    encryption: EncryptionSchema.optional().describe(
      'encrypt every payload (inputs, results, output tails) with AES-256-GCM before it reaches Temporal',
    ),
    devServer: z
      .strictObject({
        port: PortSchema.default(7233),
        uiPort: PortSchema.default(8233),
        dbFile: LocalPathSchema.default('.runway/temporal.db'),
      })
      .prefault({})
      .describe('the embedded dev server, used when address is "embedded"'),
  })
  .prefault({});

export const SshSchema = z.strictObject({
  user: LoginUserSchema.describe('login user on every host unless the host sets its own'),
  port: PortSchema.default(22),
  key: z
    .strictObject({ file: LocalPathSchema, passphrase: SecretRefSchema.optional() })
    .optional()
    .describe('private key file; its passphrase, if any, is a secret reference'),
  agent: z.boolean().default(false).describe('authenticate through the ssh-agent at $SSH_AUTH_SOCK'),
  knownHosts: LocalPathSchema.describe('known_hosts file every host key is verified against'),
  connectTimeout: PositiveDurationSchema.default(10_000),
  keepaliveInterval: DurationSchema.default(10_000).describe('0 sends no keepalives'),
  heartbeatTimeout: PositiveDurationSchema.default(30_000).describe(
    'a command whose worker stops heartbeating this long is retried elsewhere',
  ),
  commandTimeout: PositiveDurationSchema.default(3_600_000).describe('longest a single command may run'),
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(100).default(8),
      initialInterval: PositiveDurationSchema.default(1_000),
      maxInterval: PositiveDurationSchema.default(30_000),
    })
    .prefault({})
    .describe('how connection failures are retried (a command that ran and failed is not)'),
  trustOnFirstUse: z.boolean().default(false).describe('add unknown host keys to knownHosts instead of refusing'),
  maxChannelsPerHost: z.number().int().min(1).max(64).default(8),
  journalDir: hostPath({ base: 'the login home', own: true })
    .default('.runway/journal')
    .describe('where each host journals commands; relative to the login home'),
});

export const HostSchema = z.strictObject({
  address: HostAddressSchema.describe('IP address or DNS name'),
  port: PortSchema.optional(),
  user: LoginUserSchema.optional(),
  roles: z.array(NameSchema).default([]),
  dir: hostPath({ base: 'the login home' })
    .optional()
    .describe("base of this host's relative service dirs (default: the login home)"),
  journalDir: hostPath({ base: 'the login home', own: true })
    .optional()
    .describe('where this host journals commands (default: ssh.journalDir)'),
});

/**
 * An approver: a name (trusted as typed), or `{ name, key }` whose decisions count only when signed with that OpenSSH
 * key (`runway approve … --as name` signs them). Parsed to `{ name, key? }`.
 */
/** Who decides, as they sign in elsewhere (a GitHub login, an e-mail address): one word a person can type. */
const ApproverNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/,
    'expected a login or e-mail address (letters, digits, ".", "_", "@", "+", "-"; no spaces)',
  );

export const ApproverSchema = z
  .union([
    ApproverNameSchema,
    z.strictObject({
      name: ApproverNameSchema,
      key: z.string().optional().describe('OpenSSH public key line, e.g. "ssh-ed25519 AAAAC3… alice@laptop"'),
    }),
  ])
  .transform((entry, ctx): { name: string; key?: string } => {
    if (typeof entry === 'string') return { name: entry };
    if (entry.key === undefined) return { name: entry.name };
    const key = entry.key.trim();
    try {
      parsePublicKey(key);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: (err as Error).message });
    }
    return { name: entry.name, key };
  });
export type Approver = z.output<typeof ApproverSchema>;

/** Each approver once, each key of one approver: a signature must tell who decided. */
function distinctApprovers(approvers: Approver[], ctx: z.RefinementCtx): void {
  approvers.forEach((a, i) => {
    const first = approvers.findIndex((b) => b.name === a.name);
    if (first < i) ctx.addIssue({ code: 'custom', path: [i], message: `${a.name} is listed twice` });
    const twin = a.key && approvers.slice(0, i).find((b) => b.key && sameKey(b.key, a.key!));
    if (twin) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'key'],
        message: `the same key as ${twin.name}'s: each approver signs with a key of their own`,
      });
    }
  });
}

const sameKey = (a: string, b: string) => a.split(/\s+/)[1] === b.split(/\s+/)[1];

export const ApprovalSchema = z.strictObject({
  required: z.boolean().default(true),
  approvers: z
    .array(ApproverSchema)
    .min(1)
    .superRefine(distinctApprovers)
    .describe('who may approve or reject: names (e.g. GitHub logins), or { name, key } to require signed decisions'),
  timeout: DurationSchema.default(3_600_000).describe('an approval not given in time rejects the run (and rolls back)'),
});

export const EnvironmentSchema = z.strictObject({
  hosts: z
    .record(NameSchema, HostSchema)
    .refine((hosts) => Object.keys(hosts).length > 0, 'an environment needs at least one host'),
  concurrency: z.number().int().min(1).max(500).default(10).describe('most hosts one command runs on at once'),
  approval: ApprovalSchema.optional().describe('deploys and rollbacks here wait for an approver'),
});

export const NotifySchema = z.strictObject({
  slack: z
    .strictObject({
      channel: z
        .string()
        .regex(
          /^(#?[a-z0-9][a-z0-9._-]{0,79}|[CDG][A-Z0-9]{6,})$/,
          'expected a channel name such as #ops or an id such as C0123ABCDEF',
        ),
      token: SecretRefSchema.describe('bot token reference, e.g. { env: SLACK_TOKEN }'),
      apiUrl: httpUrl().optional().describe('Slack Web API base URL (default https://slack.com/api/)'),
      deliveryWindow: DurationSchema.default(120_000).describe(
        'after a run, how long undelivered Slack messages are retried before the report lists them',
      ),
    })
    .optional(),
});

export const AuditSchema = z.strictObject({
  file: LocalPathSchema.default('.runway/audit.jsonl').describe('JSON-lines audit log on the worker machine'),
  drills: LocalPathSchema.default('.runway/drills.jsonl').describe(
    'JSON-lines log of every DR drill (RTO, RPO, objectives) on the worker machine',
  ),
});

/** The worker's Prometheus endpoint: off unless `listen` is given (`runway dev` and the demo turn it on). */
export const MetricsSchema = z.strictObject({
  listen: ListenSchema.describe('where the worker serves /metrics for Prometheus'),
});

/** Where `runway dev` and the demo serve the worker's metrics when the config does not say. */
export const DEV_METRICS_LISTEN = '127.0.0.1:9464';

/**
 * Large fan-outs run in child workflows, so no history grows past Temporal's limits: a command on more than
 * `childAbove` hosts runs in groups of `hostsPerChild`, each a child workflow of the run.
 */
export const FanoutSchema = z.strictObject({
  childAbove: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(50)
    .describe('a command on more hosts than this runs in child workflows'),
  hostsPerChild: z.number().int().min(1).max(200).default(50).describe('hosts in each child workflow'),
});

export const RunwayConfigSchema = z.strictObject({
  temporal: TemporalSchema,
  ssh: SshSchema,
  environments: z.record(NameSchema, EnvironmentSchema),
  services: z.record(NameSchema, ServiceSchema).default({}),
  backups: z.record(NameSchema, BackupSetSchema).default({}),
  drills: z.record(NameSchema, DrillSchema).default({}),
  certificates: z.record(NameSchema, CertificateSchema).default({}),
  schedules: SchedulesSchema.prefault({}),
  notify: NotifySchema.prefault({}),
  audit: AuditSchema.prefault({}),
  metrics: MetricsSchema.optional(),
  fanout: FanoutSchema.prefault({}),
});

/** What a client needs when the worker holds the rest: where Temporal is. */
export const ClientConfigSchema = z.strictObject({ temporal: TemporalSchema });

export type RunwayConfig = z.infer<typeof RunwayConfigSchema>;
export type TemporalConfig = z.infer<typeof TemporalSchema>;
export type SshConfig = z.infer<typeof SshSchema>;
export type HostConfig = z.infer<typeof HostSchema>;
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;
export type ApprovalConfig = z.infer<typeof ApprovalSchema>;
export type NotifyConfig = z.infer<typeof NotifySchema>;
export type SlackConfig = NonNullable<NotifyConfig['slack']>;
export type { ServiceConfig };
