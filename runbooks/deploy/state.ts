import { quote } from '../../core/quote';
import type { HostRef } from '../../core/plan';
import { dirOf, invalid, type DeployContext } from './context';

/** What a web host says about the service: the live slot, where each link points, the releases newest first. */
export interface HostState {
  live?: string;
  slots: { blue?: string; green?: string };
  current?: string;
  previous?: string;
  releases: string[];
}

/** What a load balancer has now: the upstream file's exact text, or nothing. */
export interface LbState {
  upstream?: string;
}

/** A script printing a host's service state as `key=value` lines (links as the version they point at). */
export function stateScript(dir: string): string {
  const link = (path: string) => `"$(basename "$(readlink ${quote(`${dir}/${path}`)} 2>/dev/null)" 2>/dev/null)"`;
  return [
    `printf 'live=%s\\n' "$(cat ${quote(`${dir}/live`)} 2>/dev/null)"`,
    `printf 'blue=%s\\ngreen=%s\\n' ${link('slots/blue')} ${link('slots/green')}`,
    `printf 'current=%s\\nprevious=%s\\n' ${link('current')} ${link('previous')}`,
    `printf 'releases=%s\\n' "$(ls -1t ${quote(`${dir}/releases`)} 2>/dev/null | grep -v '^\\.' | tr '\\n' ' ')"`,
  ].join('\n');
}

/** Parses {@link stateScript}'s output. */
export function parseState(stdout: string): HostState {
  const values = new Map(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
  const get = (key: string) => values.get(key) || undefined;
  return {
    live: get('live'),
    slots: { blue: get('blue'), green: get('green') },
    current: get('current'),
    previous: get('previous'),
    releases: (get('releases') ?? '').split(' ').filter(Boolean),
  };
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
    const file = quote(svc.loadBalancer.upstreamFile);
    const upstreams = await rb
      .on(lbs)
      .run(`if [ -f ${file} ]; then printf present; cat ${file}; else printf absent; fi`);
    for (const r of upstreams) {
      lbStates.set(r.host, { upstream: r.stdout.startsWith('present') ? r.stdout.slice('present'.length) : undefined });
    }
  }
  return { hosts, lbs: lbStates };
}

/** The one value every host agrees on, or a clear refusal naming the hosts that differ. */
export function agreed<T extends string | undefined>(what: string, values: Array<[HostRef | string, T]>): T {
  const distinct = [...new Set(values.map(([, v]) => v))];
  if (distinct.length <= 1) return distinct[0] as T;
  const detail = values.map(([h, v]) => `${typeof h === 'string' ? h : h.name}=${v ?? 'none'}`).join(', ');
  throw invalid(`the hosts disagree on the ${what} (${detail}); make them agree before deploying`);
}
