import { describeError } from '../../workflows/errors';
import { mapLimit } from '../../workflows/pool';
import { fillTemplate } from '../../core/template';
import type { HostRef } from '../../core/plan';
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
  const failures = new Map<string, string>();
  await mapLimit(hosts, rb.plan.concurrency, async (host) => {
    if (http) {
      const expectBody =
        http.expectBody && fillTemplate(http.expectBody, (n) => (n === 'version' ? instance.version : ''));
      try {
        await rb.probe({
          url: `http://${host.address}:${instance.port}${http.path}`,
          expectStatus: http.expectStatus,
          expectBody,
          deadlineMs: timeout,
          intervalMs: interval,
        });
      } catch (err) {
        failures.set(host.name, describeError(err));
      }
    }
    if (command && !failures.has(host.name)) {
      const check = render(ctx, command, host, instance);
      const result = await rb
        .on(host)
        .run(healthWaitScript(check, timeout, interval))
        .nothrow();
      if (result.exitCode !== 0) {
        const why = `health command failed for ${healthWaitSeconds(timeout)}s: ${result.stderr.trim().slice(-200)}`;
        failures.set(host.name, why);
      }
    }
  });
  return failures;
}

/** Throws a step failure listing the unhealthy hosts, if any. */
export function requireHealthy(failures: Map<string, string>, what: string): void {
  if (failures.size === 0) return;
  const detail = [...failures].map(([host, why]) => `${host}: ${why}`).join('; ');
  throw new Error(`${what} is not healthy on ${failures.size} host${failures.size === 1 ? '' : 's'}: ${detail}`);
}
