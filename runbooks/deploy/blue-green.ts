import { sleep } from '@temporalio/workflow';
import type { HostRef } from '../../core/plan';
import { dirOf, invalid, templateValues, type DeployContext, type Instance } from './context';
import { requireHealthy, unhealthy } from './instances';
import { provideRelease, pruneReleases } from './release';
import { linkScript, liveScript, restartScript, stopScript, upstreamConf } from './scripts';
import { agreed, readState } from './state';
import { restoreUpstream, setUpstream } from './traffic';

type Slot = 'blue' | 'green';

/**
 * Blue-green: the new release starts in the idle slot beside the live one, must pass its health gate (and the
 * approval gate, where required), then traffic moves at once — the nginx upstream is replaced and reloaded after its
 * test — and the old slot is stopped after the drain wait. Every step carries its undo; a failure anywhere puts back
 * the slot links, the upstream and the live marker, and the old slot keeps (or resumes) serving.
 *
 * `upload: false` is a rollback: the release must already be on every host (by default the one the idle slot holds).
 */
export async function blueGreen(ctx: DeployContext, target: { version?: string; upload: boolean }): Promise<string> {
  const { rb, svc, web } = ctx;
  const slots = svc.slots!;
  const lb = svc.loadBalancer!;
  const state = await rb.step('read state', () => readState(ctx));
  const live = agreed<Slot | undefined>(
    'live slot',
    web.map((h) => [h, state.hosts.get(h.name)!.live as Slot]),
  );
  const idle: Slot = live === 'blue' ? 'green' : 'blue';
  const version =
    target.version ??
    agreed(
      `release in the idle ${idle} slot`,
      web.map((h) => [h, state.hosts.get(h.name)!.slots[idle]]),
    );
  if (!version) throw invalid(`there is no release to roll back to: the idle ${idle} slot is empty`);
  const instance = { version, slot: idle, port: slots[idle] };
  const link = (h: HostRef, v: string | undefined) => linkScript(dirOf(svc, h), `slots/${idle}`, v);
  const restart = (h: HostRef, i: Instance) => restartScript(svc, templateValues(ctx, h, i));
  const stop = (h: HostRef, i: Instance) => stopScript(svc.stop, templateValues(ctx, h, i));
  await provideRelease(ctx, version, target.upload, state.hosts);
  await rb.step(
    `start ${version} in ${idle}`,
    () => rb.on(web).run((h) => `${link(h, version)}\n${restart(h, instance)}`),
    {
      // Also undone when it failed half-way: stopping an idle slot and resetting its link is always safe.
      undoOnFailure: true,
      undo: () => rb.on(web).run((h) => `${stop(h, instance)}\n${link(h, state.hosts.get(h.name)!.slots[idle])}`),
    },
  );
  await rb.step(`health of ${idle}`, async () =>
    requireHealthy(await unhealthy(ctx, web, instance), `${version} in ${idle}`),
  );
  await rb.gate(`switch ${ctx.name} to ${version}`);
  await rb.step(
    `switch traffic to ${idle}`,
    async () => {
      await setUpstream(ctx, () => upstreamConf(lb.upstream, web, slots[idle]));
      await rb.on(web).run((h) => liveScript(dirOf(svc, h), idle));
    },
    {
      undoOnFailure: true,
      undo: async () => {
        await restoreUpstream(ctx, state.lbs);
        await rb.on(web).run((h) => liveScript(dirOf(svc, h), live));
      },
    },
  );
  if (live) {
    const old = { version: state.hosts.get(web[0].name)!.slots[live] ?? '', slot: live, port: slots[live] };
    await rb.step(`drain ${live} (${svc.drainWait} ms)`, () => sleep(svc.drainWait));
    await rb.step(`stop ${live}`, () => rb.on(web).run((h) => stop(h, old)), {
      undoOnFailure: true,
      undo: async () => {
        await rb.on(web).run((h) => restart(h, old));
        requireHealthy(await unhealthy(ctx, web, old), `${old.version} in ${live}`);
      },
    });
  }
  await pruneReleases(ctx, state.hosts, [version]);
  return version;
}
