import { scheduleIntervalMs } from '../core/schedules';
import { InputError, type LoadedConfig, type RunwayConfig } from '../config';
import type { BackupPlan, DrillPlan, HostRef } from '../core/plan';
import { own } from '../config/rule-kit';

/** What a backup runbook's input names: a set, a drill, or (status) a list of sets. */
interface BackupInput {
  environment?: string;
  set?: string;
  drill?: string;
  sets?: string[];
}

/** The part of a plan a backup runbook adds: its environment (from the set unless the input names it), the sets. */
export interface BackupScope {
  environment: string;
  backup?: BackupPlan;
  drill?: DrillPlan;
  backups?: BackupPlan[];
  drillIntervals?: Record<string, number>;
}

/** True when the input names a set or a drill, or asks for the status of sets: the runbook is a backup runbook. */
export function isBackupInput(runbook: string, input: Record<string, unknown>): boolean {
  return typeof input.set === 'string' || typeof input.drill === 'string' || runbook === 'backupStatus';
}

/**
 * Resolves the set (or drill, or sets) an input names. An input that names an environment must name the set's own;
 * an unknown set or drill is one line naming it and the known ones.
 */
export function backupScope(
  loaded: LoadedConfig,
  input: BackupInput,
  hostsOf: (environment: string) => HostRef[],
): BackupScope {
  const { config } = loaded;
  if (typeof input.drill === 'string') {
    const drill = own(config.drills, input.drill);
    if (!drill) throw new InputError(`input.drill: unknown drill "${input.drill}" (known: ${known(config.drills)})`);
    const backup = setPlan(config, drill.backup, hostsOf);
    checkEnvironment(input, backup.environment);
    const target = pick(hostsOf(backup.environment), drill.target, `drills.${input.drill}.target`);
    const dir = drill.target.dir ?? `.runway/drills/${input.drill}`;
    const plan: DrillPlan = { name: input.drill, config: drill, target, dir: underHost(target, dir) };
    return { environment: backup.environment, backup, drill: plan };
  }
  if (typeof input.set === 'string') {
    const backup = setPlan(config, input.set, hostsOf, 'input.set');
    checkEnvironment(input, backup.environment);
    return { environment: backup.environment, backup };
  }
  const names = input.sets ?? Object.keys(config.backups);
  // How far apart each scheduled drill runs, so the status can say when one is overdue (as a metric).
  const drillIntervals = Object.fromEntries(
    Object.entries(config.drills).flatMap(([drill, d]) =>
      d.schedule ? [[drill, scheduleIntervalMs(d.schedule)]] : [],
    ),
  );
  return {
    environment: '',
    backups: names.map((name) => setPlan(config, name, hostsOf, 'input.sets')),
    drillIntervals,
  };
}

function setPlan(
  config: RunwayConfig,
  name: string,
  hostsOf: (environment: string) => HostRef[],
  where = 'backups',
): BackupPlan {
  const set = own(config.backups, name);
  if (!set) throw new InputError(`${where}: unknown backup set "${name}" (known: ${known(config.backups)})`);
  const hosts = hostsOf(set.environment);
  const host = pick(hosts, set, `backups.${name}`);
  const plan: BackupPlan = { name, environment: set.environment, config: set, host, dir: underHost(host, set.dir) };
  if (set.copyTo) {
    const to = pick(hosts, set.copyTo, `backups.${name}.copyTo`);
    plan.copyTo = { host: to, dir: underHost(to, set.copyTo.dir ?? set.dir) };
  }
  return plan;
}

function checkEnvironment(input: BackupInput, environment: string): void {
  if (input.environment !== undefined && input.environment !== environment) {
    throw new InputError(`input.environment: the set lives in ${environment}, not ${input.environment}`);
  }
}

/** A host by name, or the first host (in config order) with a role. */
function pick(hosts: HostRef[], ref: { host?: string; role?: string }, where: string): HostRef {
  const found = ref.host ? hosts.find((h) => h.name === ref.host) : hosts.find((h) => h.roles.includes(ref.role!));
  if (!found) throw new InputError(`${where}: no host ${ref.host ? `"${ref.host}"` : `with role "${ref.role}"`}`);
  return found;
}

/** A dir as the host sees it: absolute as given, relative under the host's base dir. */
export function underHost(host: HostRef, dir: string): string {
  if (dir.startsWith('/') || host.dir === '.') return dir;
  return `${host.dir.replace(/\/+$/, '')}/${dir}`;
}

function known(entries: Record<string, unknown>): string {
  return Object.keys(entries).sort().join(', ') || 'none';
}
