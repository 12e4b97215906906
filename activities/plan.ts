import { ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import { ConfigError, InputError, validateRunInput, type LoadedConfig } from '../config';
import type { HostRef, Plan, PlanRequest, ServicePlan } from '../core/plan';
import { runFanout, tooManyBatches, type Fanout } from '../core/batches';
import { upstreamConf } from '../runbooks/deploy/scripts';
import { FailureType } from '../core/failures';
import { INPUT_SCHEMAS } from '../runbooks/registry';
import { servicePlan, type ServicePlanOptions } from './service-plan';
import { backupScope, isBackupInput } from './backup-plan';
import { certificatePlans } from './cert-plan';
import { own } from '../config/rule-kit';

/** What plan resolution needs: the current config (read at each run start) and the runbooks' input schemas. */
export interface PlanDeps {
  config: () => LoadedConfig;
  inputSchemas: Record<string, z.ZodType>;
}

/**
 * Validates a run's input and resolves its plan from config. Being an activity, its answer is recorded in the history,
 * so the run replays identically even after runway.yml changes — and a start from the Temporal CLI needs only names.
 */
export function createResolvePlan(deps: PlanDeps) {
  return async function resolvePlan({ runbook, input }: PlanRequest): Promise<Plan> {
    try {
      return buildPlan(deps.config(), runbook, input, { schemas: deps.inputSchemas });
    } catch (err) {
      if (err instanceof InputError || err instanceof ConfigError) {
        throw ApplicationFailure.nonRetryable(err.message, FailureType.InvalidInput);
      }
      throw err;
    }
  };
}

/** What {@link buildPlan} checks besides the input and the config's names. */
export interface PlanOptions extends Partial<ServicePlanOptions> {
  /** Input schemas by workflow type; default: every registered runbook. */
  schemas?: Record<string, z.ZodType>;
  /** Resolve the secret references a run needs, to refuse one that resolves to nothing (only where it runs). */
  secrets?: boolean;
}

/**
 * Validates an input against its runbook's schema and the config, and builds the plan; throws {@link InputError}.
 * A client holding the full config calls it too, to refuse bad input before anything starts, in the same words.
 */
export function buildPlan(loaded: LoadedConfig, runbook: string, rawInput: unknown, options: PlanOptions = {}): Plan {
  const { schemas = INPUT_SCHEMAS, artifact = true, where } = options;
  const input = validateRunInput<Record<string, unknown> & { environment: string }>(schemas, runbook, rawInput);
  const { config } = loaded;
  const certificates =
    runbook === 'certCheck'
      ? { names: input.names as string[] | undefined }
      : runbook === 'certRenew'
        ? { renew: input.certificate as string, secrets: options.secrets ?? true }
        : undefined;
  const scope = certificates
    ? { environment: '', certificates: certificatePlans(loaded, certificates, (env) => hostsOf(config, env)) }
    : isBackupInput(runbook, input)
      ? backupScope(loaded, input, (env) => hostsOf(config, env))
      : undefined;
  if (scope && scope.environment) input.environment = scope.environment;
  const environment = scope && !scope.environment ? undefined : own(config.environments, input.environment);
  if (!environment && !scope) {
    const known = Object.keys(config.environments).sort().join(', ') || 'none';
    throw new InputError(`input.environment: unknown environment "${input.environment}" (known: ${known})`);
  }
  const hosts = environment ? hostsOf(config, input.environment) : [];
  checkTargets(input, hosts);
  const { devServer, address, namespace, uiUrl } = config.temporal;
  const service =
    typeof input.service === 'string'
      ? servicePlan(loaded, input as Parameters<typeof servicePlan>[1], hosts, { artifact, where })
      : undefined;
  const approval = environment?.approval?.required ? environment.approval : undefined;
  const slack = config.notify.slack;
  return {
    runbook,
    environment: input.environment ?? '',
    input,
    hosts,
    concurrency: environment?.concurrency ?? 10,
    fanout: fanoutOf(config.fanout, runbook, input, hosts, service),
    timing: {
      heartbeatTimeout: config.ssh.heartbeatTimeout,
      commandTimeout: config.ssh.commandTimeout,
      retry: config.ssh.retry,
    },
    uiUrl: uiUrl ?? (address === 'embedded' ? `http://localhost:${devServer.uiPort}` : undefined),
    namespace,
    service,
    ...(scope && 'certificates' in scope
      ? { certificates: scope.certificates }
      : scope && {
          backup: scope.backup,
          drill: scope.drill,
          backups: scope.backups,
          ...('drillIntervals' in scope && scope.drillIntervals && { drillIntervals: scope.drillIntervals }),
        }),
    approval: approval && { approvers: approval.approvers, timeout: approval.timeout },
    notify: slack && { slack: { channel: slack.channel, deliveryWindow: slack.deliveryWindow } },
  };
}

/**
 * The run's fan-out: the config's, or for a run that works through a fleet in small batches (a rolling deploy or
 * rollback, an exec with a batch size) one that sends each batch to child workflows (see {@link runFanout}). Refuses
 * more batches than a run can hold.
 */
function fanoutOf(
  fanout: Fanout,
  runbook: string,
  input: Record<string, unknown>,
  hosts: HostRef[],
  service: ServicePlan | undefined,
): Fanout {
  const batched = (where: string, kind: 'deploy' | 'exec', count: number, size: number | string, upstreamBytes = 0) => {
    const problem = tooManyBatches({ kind, hosts: count, size, fanout, upstreamBytes });
    if (problem) throw new InputError(`${where}: ${problem}`);
    return runFanout(fanout, count, size);
  };
  if (service?.config.strategy === 'rolling') {
    const svc = service.config;
    const web = hosts.filter((h) => h.roles.some((role) => svc.roles.includes(role)));
    // Every batch rewrites the upstream on each load balancer, the whole file each time.
    const lb = svc.loadBalancer;
    const lbs = lb ? hosts.filter((h) => h.roles.includes(lb.role)).length : 0;
    const upstream = lb ? upstreamConf(lb.upstream, web, svc.port ?? 0, new Set(web.map((h) => h.name))).length : 0;
    return batched(`services.${service.name}.batchSize`, 'deploy', web.length, svc.batchSize, lbs * upstream);
  }
  if (runbook === 'exec' && (typeof input.batchSize === 'string' || typeof input.batchSize === 'number')) {
    const targets = Array.isArray(input.hosts)
      ? input.hosts.length
      : hosts.filter((h) => typeof input.role !== 'string' || h.roles.includes(input.role)).length;
    return batched('input.batchSize', 'exec', targets, input.batchSize);
  }
  return fanout;
}

/** An environment's hosts as the plan carries them: config with defaults filled in. */
function hostsOf(config: LoadedConfig['config'], name: string): HostRef[] {
  const environment = own(config.environments, name);
  if (!environment) {
    const known = Object.keys(config.environments).sort().join(', ') || 'none';
    throw new InputError(`input.environment: unknown environment "${name}" (known: ${known})`);
  }
  return Object.entries(environment.hosts).map(([hostName, host]) => ({
    name: hostName,
    address: host.address,
    port: host.port ?? config.ssh.port,
    user: host.user ?? config.ssh.user,
    roles: host.roles,
    dir: host.dir ?? '.',
    journalDir: host.journalDir ?? (host.dir ? `${host.dir}/.runway/journal` : config.ssh.journalDir),
  }));
}

/** A role or host list in the input must name something that exists, or nothing starts. */
function checkTargets(input: Record<string, unknown>, hosts: HostRef[]): void {
  const env = input.environment as string;
  if (typeof input.role === 'string' && !hosts.some((h) => h.roles.includes(input.role as string))) {
    throw new InputError(`input.role: no host in ${env} has role "${input.role}"`);
  }
  if (Array.isArray(input.hosts)) {
    const missing = input.hosts.filter((name) => !hosts.some((h) => h.name === name));
    if (missing.length > 0) throw new InputError(`input.hosts: not in ${env}: ${missing.join(', ')}`);
  }
}
