import type { HostRef } from '../../core/plan';
import { render, type DeployContext } from './context';
import { upstreamSwitchScript } from './scripts';
import type { LbState } from './state';

/**
 * Replaces the upstream file on every load balancer with `content` and reloads nginx — only after its test command
 * accepts the new configuration; if it refuses, the previous file is put back and nginx keeps serving untouched.
 */
export async function setUpstream(ctx: DeployContext, content: (lb: HostRef) => string | undefined): Promise<void> {
  const { rb, svc, lbs } = ctx;
  const lb = svc.loadBalancer!;
  await rb.on(lbs).run((host) =>
    upstreamSwitchScript({
      file: lb.upstreamFile,
      content: content(host),
      test: render(ctx, lb.test, host, { version: '' }),
      reload: render(ctx, lb.reload, host, { version: '' }),
    }),
  );
}

/** Puts every load balancer's upstream file back exactly as it was read (or removes it), then tests and reloads. */
export function restoreUpstream(ctx: DeployContext, before: Map<string, LbState>): Promise<void> {
  return setUpstream(ctx, (host) => before.get(host.name)?.upstream);
}
