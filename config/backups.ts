import { z } from 'zod';
import { cronProblem } from './cron';
import { DurationSchema, PositiveDurationSchema } from './duration';
import { NameSchema } from './names';
import { SecretRefSchema } from './secret';
import { templateSchema } from './templates';
import { addressProblem, hostPath, plainText, PortSchema, UrlPathSchema } from './values';

export { templateSchema };

/**
 * The `backups`, `drills` and `schedules` sections of runway.yml. A backup set is of one kind (`postgres`, `files`),
 * each kind one schema here and one script builder in `runbooks/backup/kinds/`; everything else — where copies live,
 * how many are kept, encryption, the off-host copy, the schedule — is shared.
 */

/** When a runbook runs on its own: a cron expression (`0 2 * * *`, in UTC) or `{ every: 6h }`. */
export const ScheduleSpecSchema = z.union(
  [
    z.string().superRefine((text, ctx) => {
      const problem = cronProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    z
      .strictObject({
        every: DurationSchema.refine((ms) => ms >= 1_000, 'expected at least 1s'),
        offset: DurationSchema.optional().describe('shifts each run later within its interval'),
      })
      .refine((s) => s.offset === undefined || s.offset < s.every, {
        message: 'offset must be shorter than every',
        path: ['offset'],
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
  name: plainText('a query name').min(1).max(80),
  sql: z.string().min(1).describe('run in the restored copy with psql -At; its output is compared as text'),
  expect: z
    .union([z.string(), z.number()], { error: 'expected the output as text or a number' })
    .transform(String)
    .describe('the expected output (rows one per line, columns separated by |)'),
});

/**
 * Options Runway gives pg_dump itself (format, output, database, connection, snapshot), or that make it print
 * something else than a dump or wait for a password: one of these in dumpOptions would break the copy, not tune it.
 */
const RUNWAY_DUMP_OPTIONS: Record<string, string> = {
  F: 'format',
  f: 'file',
  d: 'dbname',
  h: 'host',
  p: 'port',
  U: 'username',
  W: 'password',
  j: 'jobs',
  V: 'version',
  '?': 'help',
};
const RUNWAY_DUMP_LONG = [...Object.values(RUNWAY_DUMP_OPTIONS), 'snapshot'];

/** Short options of pg_dump that take a value: the rest of a cluster after one of them is that value. */
const DUMP_TAKES_VALUE = new Set('deEfFhjnNpStTUZ');

function shortClusterName(cluster: string): string | undefined {
  for (const flag of cluster) {
    if (RUNWAY_DUMP_OPTIONS[flag]) return RUNWAY_DUMP_OPTIONS[flag];
    if (DUMP_TAKES_VALUE.has(flag)) return undefined;
  }
  return undefined;
}

/** One pg_dump option per item: `--name`, `--name=value` or `-Xvalue`, none Runway sets itself. */
const DumpOptionSchema = z.string().superRefine((text, ctx) => {
  const long = /^--([a-z][a-z0-9-]*)(=[^\u0000-\u001f]*)?$/.exec(text);
  const short = /^-([A-Za-z?])([^\s\u0000-\u001f]*)$/.exec(text);
  if (!long && !short) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected one pg_dump option per item, such as --no-owner, --exclude-table=logs or -Tlogs',
    });
    return;
  }
  // pg_dump takes any unambiguous prefix of a long option (--fil is --file), and short flags in clusters (-xFp).
  const name = long ? RUNWAY_DUMP_LONG.find((o) => o.startsWith(long[1])) : shortClusterName(text.slice(1));
  if (name) {
    ctx.addIssue({
      code: 'custom',
      message: `Runway sets --${name} itself (or it would break the copy): leave ${text.split('=')[0]} out`,
    });
  }
});

const PgConnectionSchema = z
  .strictObject({
    host: z
      .string()
      .superRefine((text, ctx) => {
        const problem = text.startsWith('/')
          ? /[\s\u0000-\u001f]/.test(text)
            ? 'a socket directory must not contain spaces or control characters'
            : undefined
          : addressProblem(text) && `expected a socket directory (absolute) or a host name: ${addressProblem(text)}`;
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .describe("socket directory or host name (default: the server's local socket)"),
    port: PortSchema.optional(),
    user: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'expected a database role name (letters, digits, "_", "$", "-")')
      .optional()
      .describe('database role (default: the login user)'),
    password: SecretRefSchema.optional().describe('reference to the password; given to psql as PGPASSWORD'),
  })
  .prefault({});

const common = {
  environment: NameSchema.describe('environment whose hosts hold the data and the copies'),
  dir: hostPath({ base: "the host's dir", own: true }).describe(
    "where copies live on the host; relative paths are under the host's dir",
  ),
  keep: z
    .union(
      [
        z.number().int().min(1).max(1000),
        z.strictObject({ count: z.number().int().min(1).max(1000), maxAge: PositiveDurationSchema.optional() }),
      ],
      { error: 'expected a count of copies (1-1000) or { count, maxAge }' },
    )
    .default(7)
    .transform((k) => (typeof k === 'number' ? { count: k } : k))
    .describe('copies kept: a count, or { count, maxAge }; the newest verified copy is never deleted'),
  encryption: z
    .strictObject({ key: SecretRefSchema.describe('passphrase reference; the copy is encrypted on the host') })
    .optional(),
  copyTo: z
    .intersection(
      HostOrRoleSchema,
      z.strictObject({
        dir: hostPath({ base: "the host's dir", own: true })
          .optional()
          .describe('default: the same dir as on the source'),
      }),
    )
    .optional()
    .describe('an off-host copy, verified by sha256 there'),
  schedule: z.strictObject({ backup: ScheduleSpecSchema.optional(), verify: ScheduleSpecSchema.optional() }).optional(),
  alert: z
    .strictObject({
      copyOlderThan: PositiveDurationSchema.default(26 * 3_600_000),
      verifiedOlderThan: PositiveDurationSchema.default(50 * 3_600_000),
    })
    .prefault({})
    .describe('runway backups status fails when the newest copy or newest verified copy is older'),
};

/** A key of the other kind, refused in words that say so (a plain "unknown key" would not). */
function otherKind(kind: string) {
  return z.never({ error: `applies to kind: ${kind} only` }).optional();
}

const PostgresSetSchema = z.strictObject({
  kind: z.literal('postgres'),
  ...common,
  paths: otherKind('files'),
  exclude: otherKind('files'),
  host: NameSchema.optional(),
  role: NameSchema.optional(),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'expected a database name'),
  connection: PgConnectionSchema,
  dumpOptions: z.array(DumpOptionSchema).default([]).describe('extra pg_dump options, one per item'),
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
  database: otherKind('postgres'),
  connection: otherKind('postgres'),
  dumpOptions: otherKind('postgres'),
  verify: otherKind('postgres'),
  host: NameSchema.optional(),
  role: NameSchema.optional(),
  paths: z
    .array(hostPath({ base: "the host's dir" }))
    .min(1, 'expected at least one path to back up')
    .describe("files and directories; relative paths are under the host's dir"),
  exclude: z.array(plainText('a pattern').min(1)).default([]).describe('tar --exclude patterns'),
});

export const BackupSetSchema = z
  .discriminatedUnion('kind', [PostgresSetSchema, FilesSetSchema], {
    error: 'expected kind: postgres or kind: files',
  })
  .refine((s) => Boolean(s.host) !== Boolean(s.role), { message: 'give host or role (one of them)', path: ['host'] });

/** Placeholders a drill's app commands and smoke checks may use. */
export const DRILL_PLACEHOLDERS = ['database', 'port', 'host', 'address', 'dir', 'drill', 'set'];

const DrillTemplateSchema = templateSchema(DRILL_PLACEHOLDERS);

const SmokeCheckSchema = z.union(
  [
    z.strictObject({
      http: z.strictObject({
        path: UrlPathSchema,
        expectStatus: z.number().int().min(100).max(599).default(200),
        expectBody: z.string().min(1).optional(),
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
        dir: hostPath({ base: "the host's dir", own: true })
          .optional()
          .describe('the drill dir: files sets restore the copy here, app commands get it as {{dir}}'),
      }),
    )
    .describe("the DR host (in the set's environment) and database the copy is restored into"),
  app: z
    .strictObject({
      start: DrillTemplateSchema.describe('starts the app against the restored copy; must return'),
      stop: DrillTemplateSchema.describe('stops it; must succeed when nothing runs'),
      port: PortSchema.optional().describe('where HTTP smoke checks reach it'),
    })
    .optional(),
  smoke: z.array(SmokeCheckSchema).default([]),
  healthTimeout: PositiveDurationSchema.default(120_000).describe('how long the app has to pass its smoke checks'),
  objectives: z
    .strictObject({ rto: PositiveDurationSchema.optional(), rpo: PositiveDurationSchema.optional() })
    .prefault({})
    .describe('recovery time and point objectives the drill is measured against'),
  schedule: ScheduleSpecSchema.optional(),
});

/** How `runway schedules apply` creates Runway's Temporal Schedules. */
export const SchedulesSchema = z.strictObject({
  catchupWindow: PositiveDurationSchema.default(3_600_000).describe(
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
