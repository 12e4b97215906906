import { workflowInfo } from '@temporalio/workflow';
import type { Runbook } from '../../workflows';
import { quote } from '../../core/quote';
import { fillTemplate } from '../../core/template';
import { invalidInput as invalid } from '../../core/failures';
import { lockId } from '../../core/names';
import type { HostRef, ResolvedArtifact } from '../../core/plan';
import type { ServiceConfig } from '../../config/services';

export { invalid };

/** Everything a deploy step needs: the run, the service (its name, config and artifact), its web hosts and LBs. */
export interface DeployContext {
  rb: Runbook<{ environment: string; service: string }>;
  name: string;
  svc: ServiceConfig;
  artifact?: ResolvedArtifact;
  web: HostRef[];
  lbs: HostRef[];
}

/** The values one instance's templates see. */
export interface Instance {
  version: string;
  slot?: string;
  port?: number;
}

/**
 * Builds the deploy context and checks the run holds the lock: a deploy or rollback started under any other workflow
 * id (from the Temporal CLI, say) would not be serialized with the others, so it is refused before it touches a host.
 */
export function deployContext(rb: DeployContext['rb']): DeployContext {
  const service = rb.plan.service;
  if (!service) throw invalid(`no service in the plan of ${rb.plan.runbook}`);
  const { name, config: svc, artifact } = service;
  const id = lockId(rb.environment, name);
  if (workflowInfo().workflowId !== id) {
    throw invalid(`start this run with workflow id ${id} (the lock that keeps deploys of ${name} one at a time)`);
  }
  const web = [...new Map(svc.roles.flatMap((role) => rb.hosts(role)).map((h) => [h.name, h])).values()];
  const lbs = svc.loadBalancer ? rb.hosts(svc.loadBalancer.role) : [];
  return { rb, name, svc, artifact, web, lbs };
}

/** The service directory on a host: absolute as configured, or under the host's own dir. */
export function dirOf(svc: Pick<ServiceConfig, 'dir'>, host: HostRef): string {
  return svc.dir.startsWith('/') ? svc.dir : `${host.dir}/${svc.dir}`;
}

/** Renders a command template for one instance on one host; every value is shell-quoted. */
export function render(ctx: DeployContext, template: string, host: HostRef, instance: Instance): string {
  const dir = dirOf(ctx.svc, host);
  const values: Record<string, string | number | undefined> = {
    version: instance.version,
    release: instance.slot ? `${dir}/slots/${instance.slot}` : `${dir}/current`,
    dir,
    slot: instance.slot ?? '',
    port: instance.port,
    address: host.address,
    host: host.name,
    service: ctx.name,
    environment: ctx.rb.environment,
  };
  return fillTemplate(template, (name) => quote(String(values[name] ?? '')));
}
