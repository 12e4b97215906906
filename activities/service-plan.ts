import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fillTemplate, InputError, type LoadedConfig, type ServiceConfig } from '../config';
import type { HostRef, ResolvedArtifact, ServicePlan } from '../core/plan';
import { own } from '../config/rule-kit';

/** What a plan resolves of the world: on the worker, the artifact too; a client that only checks early skips it. */
export interface ServicePlanOptions {
  /** Resolve and hash the artifact of `input.version`: it must be a file on this machine (or a URL). */
  artifact: boolean;
  /** Where "this machine" is, for the message when the file is missing: `on the worker` by default. */
  where?: string;
}

/**
 * Resolves the service a deploy or rollback names: its config as parsed, and — for a deploy on the worker — the
 * artifact of this version with its sha256 (a local file is hashed here, so a missing or mismatching artifact stops
 * the run before anything changes).
 */
export function servicePlan(
  loaded: LoadedConfig,
  input: { environment: string; service: string; version?: string; sha256?: string },
  hosts: HostRef[],
  options: ServicePlanOptions = { artifact: true },
): ServicePlan {
  const { config, file } = loaded;
  const svc = own(config.services, input.service);
  if (!svc) {
    const known = Object.keys(config.services).sort().join(', ') || 'none';
    throw new InputError(`input.service: unknown service "${input.service}" (known: ${known})`);
  }
  for (const role of [...svc.roles, ...(svc.loadBalancer ? [svc.loadBalancer.role] : [])]) {
    if (!hosts.some((h) => h.roles.includes(role))) {
      throw new InputError(`services.${input.service}: no host in ${input.environment} has role "${role}"`);
    }
  }
  const artifact =
    options.artifact && input.version
      ? artifactOf(svc, input.version, input.sha256, dirname(file), options.where ?? 'on the worker')
      : undefined;
  return { name: input.service, config: svc, artifact };
}

function artifactOf(
  svc: ServiceConfig,
  version: string,
  expected: string | undefined,
  base: string,
  where: string,
): ResolvedArtifact {
  const fill = (text: string) => fillTemplate(text, (name) => (name === 'version' ? version : `{{${name}}}`));
  if ('url' in svc.artifact) {
    // The host fetches it; a pinned sha256 is checked there too, beside the published one.
    return { url: fill(svc.artifact.url), sha256Url: fill(svc.artifact.sha256Url), sha256: expected };
  }
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const file = path(fill(svc.artifact.file));
  if (!existsSync(file)) throw new InputError(`artifact for ${version}: ${file} does not exist ${where}`);
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  const sidecar = svc.artifact.sha256File ? path(fill(svc.artifact.sha256File)) : `${file}.sha256`;
  const wanted = expected ?? (existsSync(sidecar) ? readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0] : undefined);
  if (wanted !== undefined && wanted !== sha256) {
    throw new InputError(`artifact for ${version}: ${file} has sha256 ${sha256}, expected ${wanted}`);
  }
  return { file, sha256 };
}
