import { workflowInfo } from '@temporalio/workflow';
import type { Runbook } from '../../workflows';
import { invalidInput as invalid } from '../../core/failures';
import { lockId } from '../../core/names';
import type { HostRef, ResolvedArtifact } from '../../core/plan';
import type { ServiceConfig } from '../../config/services';
import { instanceValues, renderCommand, serviceDir, type Instance, type TemplateValues } from './scripts';

export { invalid };
export type { Instance };

/** Everything a deploy step needs: the run, the service (its name, config and artifact), its web hosts and LBs. */
export interface DeployContext {
  rb: Runbook<{ environment: string; service: string }>;
  name: string;
  svc: ServiceConfig;
  artifact?: ResolvedArtifact;
  web: HostRef[];
  lbs: HostRef[];
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
  return serviceDir(svc.dir, host.dir);
}

/** What one instance's `{{placeholders}}` stand for on one host in this run. */
export function templateValues(ctx: DeployContext, host: HostRef, instance: Instance): TemplateValues {
  return instanceValues(dirOf(ctx.svc, host), instance, host, ctx.name, ctx.rb.environment);
}

/** Renders a command template for one instance on one host; every value is shell-quoted. */
export function render(ctx: DeployContext, template: string, host: HostRef, instance: Instance): string {
  return renderCommand(template, templateValues(ctx, host, instance));
}
