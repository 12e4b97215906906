/**
 * The `runway` command. One function per command, loaded lazily; one top-level catch maps error classes to the exit
 * codes CI relies on (see {@link ExitCode}).
 */
import { Command, Option } from 'commander';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { ConfigError, InputError } from '../config';
import { EncryptionError } from '../config/encryption';
import { RUNBOOKS } from '../runbooks/registry';
import { ConnectionError, LockedError, RefusedError, SetupError } from './errors';
import { ExitCode } from './outcome';

type Action = (...args: never[]) => Promise<number>;
const lazy =
  <M extends Record<K, Action>, K extends string>(load: () => Promise<M>, name: K) =>
  async (...args: unknown[]) => {
    const action = (await load())[name] as unknown as (...a: unknown[]) => Promise<number>;
    process.exitCode = await action(...args);
  };

const program = new Command('runway')
  .description('Durable operations runbooks on Temporal')
  .option('-c, --config <file>', 'runway.yml to use (default: $RUNWAY_CONFIG or ./runway.yml)')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : ExitCode.Invalid));

program
  .command('dev')
  .description('start the embedded Temporal dev server (Web UI on :8233) and a worker; Ctrl-C stops both')
  .action(lazy(() => import('./commands/dev'), 'dev'));

program
  .command('worker')
  .description('run a worker against the configured Temporal (or $TEMPORAL_ADDRESS); run several to share the work')
  .option('--metrics <address:port>', 'serve /metrics here instead of at metrics.listen (one port per worker)')
  .action(lazy(() => import('./commands/worker'), 'worker'));

program
  .command('codec-server')
  .description('decrypt payloads for the Web UI and `temporal --codec-endpoint`, for holders of the configured token')
  .action(lazy(() => import('./commands/codec-server'), 'codecServer'));

program
  .command('config')
  .description('config file tools')
  .command('check [file]')
  .description('validate runway.yml: exit 0, or 2 with one "file:line:col path: message" line per problem')
  .action(lazy(() => import('./commands/config'), 'check'));

program
  .command('exec')
  .description('run a command line on a role or on hosts, in batches')
  .requiredOption('-e, --environment <name>', 'environment')
  .option('-r, --role <role>', 'hosts with this role')
  .option('-H, --hosts <names>', 'comma-separated host names')
  .option('-b, --batch <size>', 'hosts per batch: a count or a percentage like 25%')
  .option('--as <name>', 'who asks (default: $GITHUB_ACTOR, then the login name)')
  .option('--timeout <duration>', 'stop the run after this long (e.g. 10m)')
  .option('--detach', 'start it and print its id instead of following it')
  .option('--json', 'print the final report as JSON')
  .argument('<command...>', 'the command line (after --)')
  .action(lazy(() => import('./commands/exec'), 'exec'));

program
  .command('deploy <service> <version>')
  .description('deploy a version of a service (blue-green or rolling, as configured); one at a time per service')
  .requiredOption('-e, --environment <name>', 'environment')
  .option('--sha256 <hex>', 'expected sha256 of the artifact')
  .option('--as <name>', 'who deploys (default: $GITHUB_ACTOR, then the login name)')
  .option('--timeout <duration>', 'roll back and stop if the deploy takes longer (e.g. 30m)')
  .option('-w, --wait', 'follow the deploy and exit with its outcome')
  .option('--wait-lock', 'if another deploy of the service runs, wait for it instead of failing')
  .option('--json', 'with --wait, print the final report as JSON')
  .action(lazy(() => import('./commands/deploy'), 'deploy'));

program
  .command('rollback <service>')
  .description('roll a service back to the previous release, or --to a release still on the hosts')
  .requiredOption('-e, --environment <name>', 'environment')
  .option('--to <version>', 'the release to go back to (default: the previous one)')
  .option('--as <name>', 'who rolls back (default: $GITHUB_ACTOR, then the login name)')
  .option('-w, --wait', 'follow the rollback and exit with its outcome')
  .option('--wait-lock', 'if a deploy of the service runs, wait for it instead of failing')
  .option('--json', 'with --wait, print the final report as JSON')
  .action(lazy(() => import('./commands/deploy'), 'rollback'));

program
  .command('approve <workflowId>')
  .description('approve the gate a run is waiting at (refused unless you are an approver of its environment)')
  .requiredOption('--as <name>', 'who approves')
  .option('--reason <text>', 'a note kept in the history and the audit log')
  .option(
    '--key <file>',
    "sign with this private key, or a .pub whose key is in the ssh-agent (default: the approver's configured key, from the agent or ~/.ssh)",
  )
  .option('--print-signature', 'print the signed input for `temporal workflow update execute`; send nothing')
  .action(lazy(() => import('./commands/deploy'), 'approve'));

program
  .command('reject <workflowId>')
  .description('reject the gate a run is waiting at: the run rolls back and exits 4')
  .requiredOption('--as <name>', 'who rejects')
  .option('--reason <text>', 'why, kept in the history and the audit log')
  .option('--key <file>', 'sign with this key (as for approve)')
  .option('--print-signature', 'print the signed update input instead of sending it')
  .action(lazy(() => import('./commands/deploy'), 'reject'));

program
  .command('runbooks')
  .description('list the runbooks a run can start, with what each does')
  .option('--json', 'print them as JSON, with each input schema')
  .action(lazy(() => import('./commands/runs'), 'runbooks'));

program
  .command('run <runbook>')
  .description('start a runbook by its workflow type with a JSON input')
  .addHelpText('after', `\nRunbooks:\n${RUNBOOKS.map((r) => `  ${r.type.padEnd(16)} ${r.description}`).join('\n')}`)
  .addOption(new Option('-i, --input <json>', 'the input as JSON').conflicts('inputFile'))
  .option('--input-file <file>', 'read the JSON input from a file')
  .option('--id <workflowId>', 'workflow id (default: <runbook>:<environment>:<random>)')
  .option('-w, --wait', 'follow the run and exit with its outcome')
  .option('--json', 'with --wait, print the final report as JSON')
  .action(lazy(() => import('./commands/runs'), 'run'));

program
  .command('status <workflowId>')
  .description("print a run's status and steps (exit code: the run's outcome once it has ended)")
  .option('--json', 'print the progress as JSON')
  .action(lazy(() => import('./commands/runs'), 'status'));

program
  .command('follow <workflowId>')
  .description('show live step progress until the run ends; exit with its outcome')
  .option('--json', 'print only the final report as JSON')
  .action(lazy(() => import('./commands/runs'), 'follow'));

program
  .command('runs')
  .description("past and running runs from Temporal's visibility, newest first: one line each")
  .option('--service <name>', 'only runs of this service')
  .option('-e, --environment <name>', 'only runs in this environment')
  .option('--runbook <type>', 'only runs of this runbook (deploy, rollback, backup, certRenew…)')
  .option(
    '--status <status>',
    'only runs with this outcome or state (succeeded, failed, rollback-incomplete, running…)',
  )
  .option('--since <when>', 'only runs started since: a duration (2h, 7d) or a date (2026-11-30)')
  .option('-n, --limit <count>', 'at most this many (default 50)')
  .option('--json', 'print them as JSON')
  .action(lazy(() => import('./commands/runs'), 'list'));

program
  .command('cancel <workflowId>')
  .description('cancel a run: its completed steps are undone, newest first')
  .option('-w, --wait', 'follow the rollback and exit with the outcome')
  .action(lazy(() => import('./commands/runs'), 'cancel'));

const backups = program.command('backups').description('backup sets of runway.yml: take, verify, status');
const runOptions = (c: Command) =>
  c
    .option('--as <name>', 'who asks (default: $GITHUB_ACTOR, then the login name)')
    .option('--timeout <duration>', 'stop (and clean up) if the run takes longer')
    .option('--detach', 'start it and print its id instead of following it')
    .option('--wait-lock', 'if a run of the same set, drill or certificate is going, wait for it instead of failing')
    .option('--json', 'print the final report as JSON');
runOptions(backups.command('take <set>').description('take a copy of a set now')).action(
  lazy(() => import('./commands/backups'), 'take'),
);
runOptions(
  backups
    .command('verify <set>')
    .description('restore-test a copy in a scratch database and mark it verified')
    .option('--copy <id>', 'the copy (default: the newest)'),
).action(lazy(() => import('./commands/backups'), 'verify'));
backups
  .command('status [sets...]')
  .description("each set's newest and newest verified copy, each drill's last RTO/RPO; exit 1 when one is off")
  .option('--json', 'print the report as JSON')
  .option('--within <duration>', 'give up (exit 4) when no worker answers within this long', '2m')
  .action(lazy(() => import('./commands/backups'), 'status'));
const drills = program.command('drills').description('disaster-recovery drills of runway.yml');
runOptions(
  drills
    .command('run <drill>')
    .description('restore the newest verified copy into the DR target, start the app, measure RTO and RPO')
    .option('--copy <id>', 'the copy (default: the newest verified one)'),
).action(lazy(() => import('./commands/backups'), 'drill'));
drills
  .command('report')
  .description('the last drills from the drill log')
  .option('-n, --last <count>', 'how many (default 10)')
  .option('--json', 'print them as JSON')
  .option('--within <duration>', 'give up (exit 4) when no worker answers within this long', '2m')
  .action(lazy(() => import('./commands/backups'), 'report'));

const certs = program
  .command('certs')
  .description('certificates of runway.yml: checked on the wire, renewed through ACME');
for (const [name, what] of [
  ['check', 'handshake with every endpoint; exit 1 if one is expired, wrong for its names, mixed or not served'],
  ['status', 'days left per certificate and endpoint; exit 1 also when one is within its renew-before'],
] as const) {
  certs
    .command(`${name} [names...]`)
    .description(what)
    .option('--json', 'print the report as JSON')
    .option('--within <duration>', 'give up (exit 4) when no worker answers within this long', '2m')
    .action(lazy(() => import('./commands/certs'), name));
}

runOptions(
  certs
    .command('renew [names...]')
    .description('renew through ACME when due, install on every host, prove it served — or put the old one back')
    .option('--force', 'renew even when not due'),
).action(lazy(() => import('./commands/certs'), 'renew'));

const schedules = program.command('schedules').description("Temporal Schedules of runway.yml's backups and drills");
schedules
  .command('apply')
  .description("create, update and delete Runway's schedules to match runway.yml (others are never touched)")
  .option('--dry-run', 'print what would change, and change nothing')
  .option('--json', 'print the plan as JSON')
  .action(lazy(() => import('./commands/schedules'), 'apply'));
schedules
  .command('list')
  .description("Runway's schedules: next run, last run and its status")
  .option('--json', 'print them as JSON')
  .action(lazy(() => import('./commands/schedules'), 'list'));
schedules
  .command('trigger <name>')
  .description("run a schedule's runbook now, e.g. backup:app-db")
  .action(lazy(() => import('./commands/schedules'), 'trigger'));

program
  .command('demo')
  .description('live demo: local hosts + nginx + a demo app; a blue-green deploy under traffic, then a rollback')
  .option('--exit', 'stop everything once the run has ended (default: keep the Web UI up until Ctrl-C)')
  .action(lazy(() => import('../sandbox/demo'), 'demo'));

/** The single place errors become exit codes. */
const INVALID = [
  ConfigError,
  EncryptionError,
  InputError,
  ConnectionError,
  LockedError,
  RefusedError,
  SetupError,
  WorkflowNotFoundError,
  WorkflowExecutionAlreadyStartedError,
];

/** The single place errors become exit codes: refusals before anything started are 2, anything else 1. */
function exitCodeOf(err: unknown): number {
  return INVALID.some((type) => err instanceof type) ? ExitCode.Invalid : ExitCode.Failed;
}

// `runway runbooks | head -1`: a reader that goes away is no error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  for (const line of message.split('\n')) console.error(`runway: ${line}`);
  process.exitCode = exitCodeOf(err);
});
