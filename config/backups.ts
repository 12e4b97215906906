import { z } from 'zod';
import { DurationSchema } from './duration';
import { NameSchema } from './names';
import { SecretRefSchema } from './secret';
import { PLACEHOLDER } from '../core/template';

/**
 * The `backups`, `drills` and `schedules` sections of runway.yml. A backup set is of one kind (`postgres`, `files`),
 * each kind one schema here and one script builder in `runbooks/backup/kinds/`; everything else — where copies live,
 * how many are kept, encryption, the off-host copy, the schedule — is shared.
 */

/** When a runbook runs on its own: a cron expression (`0 2 * * *`, in UTC) or `{ every: 6h }`. */
export const ScheduleSpecSchema = z.union(
  [
    z
      .string()
      .regex(
        /^[0-9A-Za-z*/,?#-]+(\s+[0-9A-Za-z*/,?#-]+){4}$|^@(hourly|daily|weekly|monthly|yearly)$/,
        'expected a cron expression of 5 fields ("0 2 * * *", in UTC) or { every: 1d }',
      ),
    z.strictObject({
      every: DurationSchema.refine((ms) => ms >= 1_000, 'expected at least 1s'),
      offset: DurationSchema.optional(),
    }),
  ],
  { error: 'expected a cron expression like "0 2 * * *" or { every: 6h }' },
);

/** A host of the set's environment, by name, or the first host (in config order) with a role. */
const HostOrRoleSchema = z.union([z.strictObject({ host: NameSchema }), z.strictObject({ role: NameSchema })], {
  error: 'expected { host: <name> } or { role: <role> }',
});

/** A table name as psql prints it: `schema.table`, or a table of `public`. */
const TableSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/, 'expected [schema.]table');

export const VerifyQuerySchema = z.strictObject({
  name: z.string().min(1).max(80),
  sql: z.string().min(1).describe('run in the restored copy with psql -At; its output is compared as text'),
  expect: z
    .union([z.string(), z.number()])
    .transform(String)
    .describe('the expected output (rows one per line, columns separated by |)'),
});

const PgConnectionSchema = z
  .strictObject({
    host: z.string().min(1).optional().describe("socket directory or host name (default: the server's local socket)"),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional().describe('database role (default: the login user)'),
    password: SecretRefSchema.optional().describe('reference to the password; given to psql as PGPASSWORD'),
  })
  .prefault({});

const common = {
  environment: NameSchema.describe('environment whose hosts hold the data and the copies'),
  dir: z.string().min(1).describe("where copies live on the host; relative paths are under the host's dir"),
  keep: z
    .union([
      z.number().int().min(1).max(1000),
      z.strictObject({ count: z.number().int().min(1).max(1000), maxAge: DurationSchema.optional() }),
    ])
    .default(7)
    .transform((k) => (typeof k === 'number' ? { count: k } : k))
    .describe('copies kept: a count, or { count, maxAge }; the newest verified copy is never deleted'),
  encryption: z
    .strictObject({ key: SecretRefSchema.describe('passphrase reference; the copy is encrypted on the host') })
    .optional(),
  copyTo: z
    .intersection(
      HostOrRoleSchema,
      z.strictObject({ dir: z.string().min(1).optional().describe('default: the same dir as on the source') }),
    )
    .optional()
    .describe('an off-host copy, verified by sha256 there'),
  schedule: z.strictObject({ backup: ScheduleSpecSchema.optional(), verify: ScheduleSpecSchema.optional() }).optional(),
  alert: z
    .strictObject({
      copyOlderThan: DurationSchema.default(26 * 3_600_000),
      verifiedOlderThan: DurationSchema.default(50 * 3_600_000),
    })
    .prefault({})
    .describe('runway backups status fails when the newest copy or newest verified copy is older'),
};

const PostgresSetSchema = z.strictObject({
  kind: z.literal('postgres'),
  ...common,
  host: NameSchema.optional(),
  role: NameSchema.optional(),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'expected a database name'),
  connection: PgConnectionSchema,
  dumpOptions: z
    .array(z.string().regex(/^--?[A-Za-z]/, 'expected a pg_dump option such as --no-owner'))
    .default([])
    .describe('extra pg_dump options, one per item'),
  verify: z
    .strictObject({
      tables: z.array(TableSchema).default([]).describe('tables that must exist in the restored copy'),
      queries: z.array(VerifyQuerySchema).default([]),
    })
    .prefault({}),
});

const FilesSetSchema = z.strictObject({
  kind: z.literal('files'),
  ...common,
  host: NameSchema.optional(),
  role: NameSchema.optional(),
  paths: z.array(z.string().min(1)).min(1).describe("files and directories; relative paths are under the host's dir"),
  exclude: z.array(z.string().min(1)).default([]).describe('tar --exclude patterns'),
});

export const BackupSetSchema = z
  .discriminatedUnion('kind', [PostgresSetSchema, FilesSetSchema], {
    error: 'expected kind: postgres or kind: files',
  })
  .refine((s) => Boolean(s.host) !== Boolean(s.role), { message: 'give host or role (one of them)', path: ['host'] });

/** Placeholders a drill's app commands and smoke checks may use. */
export const DRILL_PLACEHOLDERS = ['database', 'port', 'host', 'address', 'dir', 'drill', 'set'];

/** A command line with `{{placeholders}}` from `known`; an unknown one is refused with the list. */
export function templateSchema(known: readonly string[]) {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      for (const [, name] of text.matchAll(PLACEHOLDER)) {
        if (!known.includes(name)) {
          ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}} (known: ${known.join(', ')})` });
        }
      }
    });
}

const DrillTemplateSchema = templateSchema(DRILL_PLACEHOLDERS);

const SmokeCheckSchema = z.union(
  [
    z.strictObject({
      http: z.strictObject({
        path: z.string().regex(/^\//, 'expected a path starting with /').default('/health'),
        expectStatus: z.number().int().min(100).max(599).default(200),
        expectBody: z.string().optional(),
      }),
    }),
    z.strictObject({ command: DrillTemplateSchema.describe('run on the DR host; exit 0 passes') }),
  ],
  { error: 'expected { http: { path, expectStatus?, expectBody? } } or { command }' },
);

export const DrillSchema = z.strictObject({
  backup: NameSchema.describe('the backup set whose newest verified copy is restored'),
  target: z
    .intersection(
      HostOrRoleSchema,
      z.strictObject({
        database: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'expected a database name')
          .optional(),
        dir: z.string().min(1).optional().describe('files sets: where the copy is restored (default: drill dir)'),
      }),
    )
    .describe("the DR host (in the set's environment) and database the copy is restored into"),
  app: z
    .strictObject({
      start: DrillTemplateSchema.describe('starts the app against the restored copy; must return'),
      stop: DrillTemplateSchema.describe('stops it; must succeed when nothing runs'),
      port: z.number().int().min(1).max(65535).optional().describe('where HTTP smoke checks reach it'),
    })
    .optional(),
  smoke: z.array(SmokeCheckSchema).default([]),
  healthTimeout: DurationSchema.default(120_000).describe('how long the app has to pass its smoke checks'),
  objectives: z
    .strictObject({ rto: DurationSchema.optional(), rpo: DurationSchema.optional() })
    .prefault({})
    .describe('recovery time and point objectives the drill is measured against'),
  schedule: ScheduleSpecSchema.optional(),
});

/** How `runway schedules apply` creates Runway's Temporal Schedules. */
export const SchedulesSchema = z.strictObject({
  catchupWindow: DurationSchema.default(3_600_000).describe(
    'runs missed while Temporal was down are made up this late',
  ),
  paused: z.boolean().default(false).describe('create every schedule paused'),
});

export type BackupSetConfig = z.infer<typeof BackupSetSchema>;
export type PostgresSetConfig = Extract<BackupSetConfig, { kind: 'postgres' }>;
export type FilesSetConfig = Extract<BackupSetConfig, { kind: 'files' }>;
export type DrillConfig = z.infer<typeof DrillSchema>;
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;
export type SchedulesConfig = z.infer<typeof SchedulesSchema>;
