import { describeError } from '../../workflows/errors';
import { mapLimit } from '../../workflows/pool';
import { quote } from '../../core/quote';
import { fillTemplate } from '../../core/template';
import type { HostRef } from '../../core/plan';
import { dirOf, render, type DeployContext, type Instance } from './context';

/**
 * Points an instance's link at a release — `slots/<slot>` for blue-green, `current` (and `previous`) for rolling —
 * swapping the symlink atomically (`ln -s` to a temp name, then `mv -T`), or removes it when `version` is undefined.
 */
export function linkScript(ctx: DeployContext, host: HostRef, link: string, version: string | undefined): string {
  const dir = dirOf(ctx.svc, host);
  const path = `${dir}/${link}`;
  if (version === undefined) return `rm -f ${quote(path)}`;
  const target = link.startsWith('slots/') ? `../releases/${version}` : `releases/${version}`;
  const parent = path.slice(0, path.lastIndexOf('/'));
  return `mkdir -p ${quote(parent)} && ln -sfn ${quote(target)} ${quote(`${path}.runway-new`)} && mv -fT ${quote(`${path}.runway-new`)} ${quote(path)}`;
}

/** Stops the instance, then starts it: the service's own templates, with the instance's values. */
export function restartScript(ctx: DeployContext, host: HostRef, instance: Instance): string {
  return `${render(ctx, ctx.svc.stop, host, instance)}\n${render(ctx, ctx.svc.start, host, instance)}`;
}

/** Stops the instance with the service's stop template (which must succeed when nothing runs). */
export function stopScript(ctx: DeployContext, host: HostRef, instance: Instance): string {
  return render(ctx, ctx.svc.stop, host, instance);
}

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
      const seconds = Math.max(1, Math.ceil(timeout / 1000));
      const loop = `end=$(( $(date +%s) + ${seconds} ))\nuntil { ${check}\n}; do [ "$(date +%s)" -ge "$end" ] && exit 1; sleep ${interval / 1000}; done`;
      const result = await rb.on(host).run(loop).nothrow();
      if (result.exitCode !== 0)
        failures.set(host.name, `health command failed for ${seconds}s: ${result.stderr.trim().slice(-200)}`);
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
