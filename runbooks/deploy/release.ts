import { mapLimit } from '../../workflows/pool';
import type { HostRef } from '../../core/plan';
import { someOf } from '../../core/batches';
import { dirOf, invalid, type DeployContext } from './context';
import {
  fetchScript,
  knownArtifactScript,
  pruneReleasesScript,
  releasePaths,
  removeReleaseScript,
  unpackScript,
  releaseSettingsScript,
  type HostState,
} from './scripts';

/**
 * The release a deploy or rollback moves to: a deploy uploads it (a step whose undo removes it from the hosts where it
 * was created); a rollback requires it on every host already, or refuses before changing anything.
 */
export async function provideRelease(
  ctx: DeployContext,
  version: string,
  upload: boolean,
  states: Map<string, HostState>,
): Promise<void> {
  const { rb, web } = ctx;
  rb.label('version', version);
  if (!upload) {
    const missing = web.filter((h) => !states.get(h.name)!.releases.includes(version)).map((h) => h.name);
    if (missing.length > 0) throw invalid(`release ${version} is not on ${someOf(missing)}`);
    return;
  }
  let created: string[] = [];
  await rb.step(`upload ${version}`, async () => void (created = await putRelease(ctx, version)), {
    undo: () =>
      removeRelease(
        ctx,
        version,
        web.filter((h) => created.includes(h.name)),
      ),
  });
}

/**
 * Puts release `version` on every web host: `<dir>/releases/<version>/`, unpacked from the artifact (uploaded over SFTP
 * and checked by sha256, or fetched by the host and checked against the published sha256), plus its `runway.env`.
 * A host that already has this version from the same artifact keeps it. Returns the hosts where it was created, so
 * the undo removes only those.
 */
export async function putRelease(ctx: DeployContext, version: string): Promise<string[]> {
  const { rb, svc, web } = ctx;
  const { artifact } = ctx;
  if (!artifact) throw invalid(`no artifact for ${ctx.name} ${version}`);
  const fanout = rb.plan.fanout;
  if (fanout && web.length > fanout.childAbove) return putFleetRelease(ctx, version);
  const created: string[] = [];
  const settled = await mapLimit(web, rb.plan.concurrency, async (host) => {
    const dir = dirOf(svc, host);
    const { release, tarball } = releasePaths(dir, version);
    // Already unpacked from this very artifact (a retried or repeated deploy)? Then there is nothing to send.
    const known = await rb.on(host).run(knownArtifactScript(dir, version));
    const sha = 'file' in artifact ? artifact.sha256 : undefined;
    if (sha && known.stdout.trim() === sha) return;
    if ('file' in artifact) await rb.upload([host], artifact.file, tarball);
    else await rb.on(host).run(fetchScript(artifact.url, artifact.sha256Url, tarball, artifact.sha256));
    const result = await rb.on(host).run(unpackScript(release, tarball));
    if (result.stdout.trim() === 'created') created.push(host.name);
  });
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed?.status === 'rejected') throw failed.reason;
  // Secrets reach the hosts as references resolved by the worker; plans recorded before services had them have none.
  const secrets = svc.secrets ?? {};
  await rb
    .on(web)
    .run((host) =>
      releaseSettingsScript(releasePaths(dirOf(svc, host), version).release, svc.env, Object.keys(secrets)),
    )
    .env(secrets);
  return created;
}

/**
 * {@link putRelease} on a fleet: each phase is one command (or upload) on every host that needs it, so it runs in
 * child workflows, instead of a sequence of commands per host in the run's own history.
 */
async function putFleetRelease(ctx: DeployContext, version: string): Promise<string[]> {
  const { rb, svc, web } = ctx;
  const artifact = ctx.artifact!;
  const paths = (host: HostRef) => releasePaths(dirOf(svc, host), version);
  const known = await rb.on(web).run((host) => knownArtifactScript(dirOf(svc, host), version));
  const sha = 'file' in artifact ? artifact.sha256 : undefined;
  const needed = web.filter((_, i) => !(sha && known[i].stdout.trim() === sha));
  if (needed.length > 0) {
    if ('file' in artifact) {
      await rb.uploadEach(needed.map((host) => ({ host, localPath: artifact.file, remotePath: paths(host).tarball })));
    } else {
      await rb
        .on(needed)
        .run((host) => fetchScript(artifact.url, artifact.sha256Url, paths(host).tarball, artifact.sha256));
    }
  }
  const unpacked =
    needed.length > 0 ? await rb.on(needed).run((host) => unpackScript(paths(host).release, paths(host).tarball)) : [];
  const created = unpacked.filter((r) => r.stdout.trim() === 'created').map((r) => r.host);
  const secrets = svc.secrets ?? {};
  await rb
    .on(web)
    .run((host) => releaseSettingsScript(paths(host).release, svc.env, Object.keys(secrets)))
    .env(secrets);
  return created;
}

/** Removes release `version` from the given hosts — unless a slot or link still points at it. */
export async function removeRelease(ctx: DeployContext, version: string, hosts: HostRef[]): Promise<void> {
  if (hosts.length === 0) return;
  await ctx.rb.on(hosts).run((host) => removeReleaseScript(dirOf(ctx.svc, host), version));
}

/**
 * Removes old releases beyond `releasesKept`, never one a slot, `current` or `previous` points at, nor the new one.
 * Best effort, in a step of its own: a failure is recorded on the step and never rolls a good deploy back.
 */
export async function pruneReleases(ctx: DeployContext, states: Map<string, HostState>, keep: string[]): Promise<void> {
  const { rb, svc, web } = ctx;
  const doomed = new Map(
    web.map((host) => {
      const state = states.get(host.name)!;
      const protectedSet = new Set([...keep, state.slots.blue, state.slots.green, state.current, state.previous]);
      const ordered = [...new Set([...keep, ...state.releases])];
      return [host.name, ordered.slice(svc.releasesKept).filter((v) => !protectedSet.has(v))];
    }),
  );
  const hosts = web.filter((h) => doomed.get(h.name)!.length > 0);
  if (hosts.length === 0) return;
  await rb.step(`prune releases beyond ${svc.releasesKept}`, async () => {
    const removal = (host: HostRef) => pruneReleasesScript(dirOf(svc, host), doomed.get(host.name)!);
    await rb
      .on(hosts)
      .run(removal)
      .nothrow()
      .then(
        () => undefined,
        () => undefined, // unreachable host: the releases stay, and so does the deploy
      );
  });
}
