import { describeError } from '../../workflows/errors';
import { mapLimit } from '../../workflows/pool';
import { fillTemplate } from '../../core/template';
import type { HostRef } from '../../core/plan';
import { someOf } from '../../core/batches';
import { render, type DeployContext, type Instance } from './context';
import { healthWaitScript, healthWaitSeconds } from './scripts';

/**
 * Waits until the instance on each host is healthy — HTTP from the worker, or the health command on the host — or
 * the health timeout passes. Returns the hosts that never became healthy, with why; throws only on transport trouble.
 */
export async function unhealthy(
  ctx: DeployContext,
  hosts: HostRef[],
  instance: Instance,
): Promise<Map<string, string>> {
  const { rb, svc } = ctx;
  const { http, command, timeout, interval } = svc.health;
  const probeOf = (host: HostRef) => {
    const expectBody =
      http!.expectBody && fillTemplate(http!.expectBody, (n) => (n === 'version' ? instance.version : ''));
    return {
      url: `http://${host.address}:${instance.port}${http!.path}`,
      expectStatus: http!.expectStatus,
      expectBody,
      deadlineMs: timeout,
      intervalMs: interval,
    };
  };
  const waitScript = (host: HostRef) => healthWaitScript(render(ctx, command!, host, instance), timeout, interval);
  const commandFailure = (stderr: string) =>
    `health command failed for ${healthWaitSeconds(timeout)}s: ${stderr.trim().slice(-200)}`;
  const fanout = rb.plan.fanout;
  if (fanout && hosts.length > fanout.childAbove) {
    // A fleet: every probe at once, then every health command, each fan-out in child workflows.
    const failures = http ? await rb.probeEach(hosts.map((h) => ({ host: h.name, request: probeOf(h) }))) : new Map();
    const rest = hosts.filter((h) => !failures.has(h.name));
    if (command && rest.length > 0) {
      const results = await rb.on(rest).run(waitScript).nothrow();
      results.forEach((r) => r.exitCode !== 0 && failures.set(r.host, commandFailure(r.stderr)));
    }
    return failures;
  }
  const failures = new Map<string, string>();
  await mapLimit(hosts, rb.plan.concurrency, async (host) => {
    if (http) {
      try {
        await rb.probe(probeOf(host));
      } catch (err) {
        failures.set(host.name, describeError(err));
      }
    }
    if (command && !failures.has(host.name)) {
      const result = await rb.on(host).run(waitScript(host)).nothrow();
      if (result.exitCode !== 0) failures.set(host.name, commandFailure(result.stderr));
    }
  });
  return failures;
}

/** Throws a step failure listing the unhealthy hosts, if any. */
export function requireHealthy(failures: Map<string, string>, what: string): void {
  if (failures.size === 0) return;
  const detail = someOf(
    [...failures].map(([host, why]) => `${host}: ${why}`),
    10,
    '; ',
  );
  throw new Error(`${what} is not healthy on ${failures.size} host${failures.size === 1 ? '' : 's'}: ${detail}`);
}
