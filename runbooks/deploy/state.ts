import type { HostRef } from '../../core/plan';
import { someOf } from '../../core/batches';
import { dirOf, invalid, type DeployContext } from './context';
import { parseState, parseUpstreamRead, stateScript, upstreamReadScript, type HostState } from './scripts';

export type { HostState };

/** What a load balancer has now: the upstream file's exact text, or nothing. */
export interface LbState {
  upstream?: string;
}

/** Reads every web host's state and every load balancer's upstream file (a step with nothing to undo). */
export async function readState(
  ctx: DeployContext,
): Promise<{ hosts: Map<string, HostState>; lbs: Map<string, LbState> }> {
  const { rb, svc, web, lbs } = ctx;
  const results = await rb.on(web).run((host) => stateScript(dirOf(svc, host)));
  const hosts = new Map(results.map((r) => [r.host, parseState(r.stdout)]));
  const lbStates = new Map<string, LbState>();
  if (svc.loadBalancer && lbs.length > 0) {
    const upstreams = await rb.on(lbs).run(upstreamReadScript(svc.loadBalancer.upstreamFile));
    for (const r of upstreams) lbStates.set(r.host, { upstream: parseUpstreamRead(r.stdout) });
  }
  return { hosts, lbs: lbStates };
}

/** The one value every host agrees on, or a clear refusal naming the hosts that differ. */
export function agreed<T extends string | undefined>(what: string, values: Array<[HostRef | string, T]>): T {
  const distinct = [...new Set(values.map(([, v]) => v))];
  if (distinct.length <= 1) return distinct[0] as T;
  const on = new Map<string, string[]>();
  for (const [h, v] of values)
    on.set(v ?? 'none', [...(on.get(v ?? 'none') ?? []), typeof h === 'string' ? h : h.name]);
  const detail = [...on].map(([v, hosts]) => `${v} on ${someOf(hosts, 5)}`).join('; ');
  throw invalid(`the hosts disagree on the ${what} (${detail}); make them agree before deploying`);
}
