import { batches } from '../../workflows/pool';
import type { HostRef } from '../../core/plan';
import { hostSpan } from '../../core/batches';
import { dirOf, invalid, templateValues, type DeployContext } from './context';
import { requireHealthy, unhealthy } from './instances';
import { provideRelease, pruneReleases } from './release';
import { linkScript, restartScript, stopScript, upstreamConf } from './scripts';
import { agreed, readState, type HostState } from './state';
import { restoreUpstream, setUpstream } from './traffic';

/**
 * Rolling: batch by batch, the hosts leave the load balancer's upstream (marked down), switch their `current` link
 * to the new release, restart and pass the health gate, then rejoin. A host that fails is put back on its old release
 * at once; past `maxFailures` failed hosts the rollout stops and every completed batch rolls back, newest first, and
 * the upstream file ends exactly as it was.
 *
 * `upload: false` is a rollback to a release already on every host (by default the one `previous` points at).
 */
export async function rolling(ctx: DeployContext, target: { version?: string; upload: boolean }): Promise<string> {
  const { rb, svc, web, lbs } = ctx;
  const port = svc.port!;
  const state = await rb.step('read state', () => readState(ctx));
  const hostState = (h: HostRef): HostState => state.hosts.get(h.name)!;
  const version =
    target.version ??
    agreed(
      'previous release',
      web.map((h) => [h, hostState(h).previous]),
    );
  if (!version) throw invalid('there is no previous release to roll back to');
  await provideRelease(ctx, version, target.upload, state.hosts);
  const balanced = svc.loadBalancer !== undefined && lbs.length > 0;
  const down = new Set<string>();
  const publish = () => setUpstream(ctx, () => upstreamConf(svc.loadBalancer!.upstream, web, port, down));
  if (balanced) {
    // Its undo runs last of all: the upstream file ends byte for byte as it was before this run.
    await rb.step('take over the upstream', () => publish(), { undo: () => restoreUpstream(ctx, state.lbs) });
  }
  const values = (h: HostRef, v: string) => templateValues(ctx, h, { version: v, port });
  const switchTo = (h: HostRef, v: string | undefined, previous: string | undefined) => {
    const dir = dirOf(svc, h);
    return `${linkScript(dir, 'current', v)}\n${linkScript(dir, 'previous', previous)}\n${restartScript(svc, values(h, v ?? ''))}`;
  };
  // Back to the release the host had; a host that had none (a first deploy) is stopped and unlinked.
  const revert = (hosts: HostRef[]) =>
    rb.on(hosts).run((h) => {
      const { current, previous } = hostState(h);
      if (current) return switchTo(h, current, previous);
      return `${stopScript(svc.stop, values(h, version))}\n${linkScript(dirOf(svc, h), 'current', undefined)}`;
    });
  const outOfRotation = async (batch: HostRef[], during: () => PromiseLike<unknown>) => {
    if (balanced) {
      batch.forEach((h) => down.add(h.name));
      await publish();
    }
    await during();
    if (balanced) {
      batch.forEach((h) => down.delete(h.name));
      await publish();
    }
  };

  let failures = 0;
  const groups = batches(web, svc.batchSize);
  for (const [i, batch] of groups.entries()) {
    await rb.step(
      `batch ${i + 1}/${groups.length}: ${hostSpan(batch.map((h) => h.name))}`,
      () =>
        outOfRotation(batch, async () => {
          await rb.on(batch).run((h) => switchTo(h, version, hostState(h).current));
          const failed = await unhealthy(ctx, batch, { version, port });
          if (failed.size === 0) return;
          await revert(batch.filter((h) => failed.has(h.name)));
          failures += failed.size;
          if (failures > svc.maxFailures) {
            requireHealthy(failed, `${version} (${failures} failed hosts, maxFailures ${svc.maxFailures})`);
          }
        }),
      { undoOnFailure: true, undo: () => outOfRotation(batch, () => revert(batch)) },
    );
  }
  await pruneReleases(ctx, state.hosts, [version]);
  return version;
}
