import { z } from 'zod';
import { BatchSizeSchema } from './batch';
import { DurationSchema } from './duration';
import { NameSchema } from './names';
import { SecretRefSchema } from './secret';
import { fillTemplate, PLACEHOLDER } from '../core/template';

/**
 * The placeholders a service's command templates may use, written `{{name}}`. Each is replaced by a shell-quoted
 * value on the host it runs on: the version being deployed, its release directory, the service directory, the slot
 * and its port, the host's address and name, the service and the environment.
 */
export const PLACEHOLDERS = ['version', 'release', 'dir', 'slot', 'port', 'address', 'host', 'service', 'environment'];

/** A command line with `{{placeholders}}`; an unknown placeholder is a config error naming it. */
export const TemplateSchema = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    for (const [, name] of text.matchAll(PLACEHOLDER)) {
      if (!PLACEHOLDERS.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {{${name}}} (known: ${PLACEHOLDERS.join(', ')})`,
        });
      }
    }
  });

const PortSchema = z.number().int().min(1).max(65535);

/** Where a release comes from: a file on the worker's machine (uploaded) or a URL the host fetches itself. */
export const ArtifactSchema = z.union(
  [
    z.strictObject({
      file: z.string().min(1).describe('tarball on the worker machine; {{version}} is replaced'),
      sha256File: z
        .string()
        .min(1)
        .optional()
        .describe('file holding the expected sha256 (default: <file>.sha256 if present)'),
    }),
    z.strictObject({
      url: z.url().describe('http(s) URL the host fetches with curl; {{version}} is replaced'),
      sha256Url: z.url().describe('URL of the expected sha256, fetched on the host'),
    }),
  ],
  { error: 'expected { file, sha256File? } or { url, sha256Url }' },
);

export const HealthSchema = z
  .strictObject({
    http: z
      .strictObject({
        path: z.string().regex(/^\//, 'expected a path starting with /').default('/health'),
        expectStatus: z.number().int().min(100).max(599).default(200),
        expectBody: z.string().optional().describe('text the body must contain; {{version}} is replaced'),
      })
      .optional()
      .describe('probed from the worker at http://<host address>:<slot port><path>'),
    command: TemplateSchema.optional().describe('run on the host; exit 0 means healthy'),
    timeout: DurationSchema.default(30_000).describe('how long a new instance has to become healthy'),
    interval: DurationSchema.default(500),
  })
  .refine((h) => h.http || h.command, 'give health.http or health.command');

export const LoadBalancerSchema = z.strictObject({
  role: NameSchema.describe('hosts running nginx in front of the service'),
  upstreamFile: z.string().min(1).describe('nginx include file holding the upstream block; replaced atomically'),
  upstream: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, 'expected an nginx upstream name')
    .describe('name of the upstream block'),
  test: TemplateSchema.default('nginx -t').describe('checks the configuration before any reload'),
  reload: TemplateSchema.default('nginx -s reload'),
});

export const ServiceSchema = z.strictObject({
  strategy: z.enum(['blue-green', 'rolling']),
  roles: z.array(NameSchema).min(1).describe('hosts the service runs on'),
  dir: z.string().min(1).describe("service directory; relative paths are under each host's dir"),
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
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
    .default({})
    .describe('settings written to <release>/runway.env'),
  secrets: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), SecretRefSchema)
    .default({})
    .describe('environment variables from secret references, written to <release>/runway.secrets (mode 0600)'),
});

export type ServiceConfig = z.infer<typeof ServiceSchema>;

export { fillTemplate };
