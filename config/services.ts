import { z } from 'zod';
import { BatchSizeSchema } from './batch';
import { DurationSchema, PositiveDurationSchema } from './duration';
import { NameSchema } from './names';
import { SecretRefSchema } from './secret';
import { placeholdersFrom, templateSchema } from './templates';
import { hostPath, httpUrl, LocalPathSchema, plainText, PortSchema, UrlPathSchema } from './values';
import { fillTemplate } from '../core/template';

/**
 * The placeholders a service's command templates may use, written `{{name}}`. Each is replaced by a shell-quoted
 * value on the host it runs on: the version being deployed, its release directory, the service directory, the slot
 * and its port, the host's address and name, the service and the environment.
 */
export const PLACEHOLDERS = ['version', 'release', 'dir', 'slot', 'port', 'address', 'host', 'service', 'environment'];

/** A command line with `{{placeholders}}`; an unknown or unclosed placeholder is a config error naming it. */
export const TemplateSchema = templateSchema(PLACEHOLDERS);

/** The load balancer's commands run on the load balancer, for the service as a whole: no one release, slot or port. */
const LB_PLACEHOLDERS = ['dir', 'address', 'host', 'service', 'environment'];
const NOT_ON_LB = 'the load balancer runs this for the service, not for one release';
const LbTemplateSchema = templateSchema(LB_PLACEHOLDERS, {
  version: NOT_ON_LB,
  release: NOT_ON_LB,
  slot: NOT_ON_LB,
  port: NOT_ON_LB,
});

/** Text where only `{{version}}` is filled in: artifact names and the expected health body. */
const VersionTemplateSchema = placeholdersFrom(['version']);

/** A variable name a shell and a `.env` file both take. */
const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** Where a release comes from: a file on the worker's machine (uploaded) or a URL the host fetches itself. */
export const ArtifactSchema = z.union(
  [
    z.strictObject({
      file: LocalPathSchema.and(VersionTemplateSchema).describe(
        'tarball on the worker machine; {{version}} is replaced',
      ),
      sha256File: LocalPathSchema.and(VersionTemplateSchema)
        .optional()
        .describe('file holding the expected sha256 (default: <file>.sha256 if present)'),
    }),
    z.strictObject({
      url: httpUrl()
        .and(VersionTemplateSchema)
        .describe('http(s) URL the host fetches with curl; {{version}} is replaced'),
      sha256Url: httpUrl().and(VersionTemplateSchema).describe('URL of the expected sha256, fetched on the host'),
    }),
  ],
  { error: 'expected { file, sha256File? } or { url, sha256Url }' },
);

export const HealthSchema = z
  .strictObject({
    http: z
      .strictObject({
        path: UrlPathSchema,
        expectStatus: z.number().int().min(100).max(599).default(200),
        expectBody: VersionTemplateSchema.min(1, 'expected text the body must contain, got an empty string')
          .optional()
          .describe('text the body must contain; {{version}} is replaced'),
      })
      .optional()
      .describe('probed from the worker at http://<host address>:<slot port><path>'),
    command: TemplateSchema.optional().describe('run on the host; exit 0 means healthy'),
    timeout: PositiveDurationSchema.default(30_000).describe('how long a new instance has to become healthy'),
    interval: PositiveDurationSchema.default(500).describe('pause between two probes'),
  })
  .refine((h) => h.http || h.command, 'give health.http or health.command');

export const LoadBalancerSchema = z.strictObject({
  role: NameSchema.describe('hosts running nginx in front of the service'),
  upstreamFile: hostPath({ file: true }).describe(
    'nginx include file holding the upstream block (absolute: nginx reads it from its own directory); replaced atomically',
  ),
  upstream: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'expected an nginx upstream name of letters, digits and "_"')
    .describe('name of the upstream block'),
  test: LbTemplateSchema.default('nginx -t').describe('checks the configuration before any reload'),
  reload: LbTemplateSchema.default('nginx -s reload'),
});

export const ServiceSchema = z.strictObject({
  strategy: z.enum(['blue-green', 'rolling']),
  roles: z.array(NameSchema).min(1, 'expected at least one role').describe('hosts the service runs on'),
  dir: hostPath({ base: "the host's dir", own: true }).describe(
    "service directory; relative paths are under each host's dir",
  ),
  artifact: ArtifactSchema,
  start: TemplateSchema.describe('starts one instance (a slot, or the host for rolling); must return'),
  stop: TemplateSchema.describe('stops it; must succeed when nothing runs'),
  health: HealthSchema,
  slots: z
    .strictObject({ blue: PortSchema, green: PortSchema })
    .optional()
    .describe('ports of the two slots (blue-green)'),
  port: PortSchema.optional().describe('the port of the single instance (rolling)'),
  loadBalancer: LoadBalancerSchema.optional(),
  batchSize: BatchSizeSchema.default('25%').describe('rolling: hosts per batch'),
  maxFailures: z.number().int().min(0).default(0).describe('rolling: failed hosts tolerated before rolling back'),
  releasesKept: z.number().int().min(2).max(100).default(5),
  drainWait: DurationSchema.default(5_000).describe('wait between moving traffic and stopping the old instance'),
  env: z.record(EnvNameSchema, plainText('a setting')).default({}).describe('settings written to <release>/runway.env'),
  secrets: z
    .record(EnvNameSchema, SecretRefSchema)
    .default({})
    .describe('environment variables from secret references, written to <release>/runway.secrets (mode 0600)'),
});

export type ServiceConfig = z.infer<typeof ServiceSchema>;

export { fillTemplate };
