import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployWorld } from './deploy-world';

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
const link = (file: string) => {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
};

/** Every file under `dir` with its sha256, sorted: a release directory byte for byte. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(dir, rel, name);
      if (statSync(path).isDirectory()) walk(join(rel, name));
      else out[join(rel, name)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  if (existsSync(dir)) walk('');
  return out;
}

/** What a blue-green service looks like on every host: live slot, its release (bytes), the upstream file. */
export function blueGreenState(w: DeployWorld, service = 'app') {
  const web = w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'));
  const hosts = web.map((h) => {
    const dir = join(h.dir, service);
    const live = read(join(dir, 'live'));
    const target = live ? link(join(dir, 'slots', live)) : undefined;
    const version = target?.split('/').pop();
    return { host: h.name, live, version, release: version ? treeDigest(join(dir, 'releases', version)) : {} };
  });
  return { hosts, upstream: read(w.nginx.upstreamFile) };
}

/** What a rolling service looks like on every host: the `current` release (bytes) and the upstream file. */
export function rollingState(w: DeployWorld, service = 'app') {
  const web = w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'));
  const hosts = web.map((h) => {
    const dir = join(h.dir, service);
    const version = link(join(dir, 'current'))?.split('/').pop();
    return { host: h.name, version, release: version ? treeDigest(join(dir, 'releases', version)) : {} };
  });
  return { hosts, upstream: read(w.nginx.upstreamFile) };
}

/** The version each web host's instance answers with on `port` (undefined when nothing answers). */
export async function servedVersions(w: DeployWorld, port: number): Promise<Array<string | undefined>> {
  const web = w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'));
  return Promise.all(
    web.map(async (h) => {
      try {
        const res = await fetch(`http://${h.address}:${port}/`, { signal: AbortSignal.timeout(2000) });
        return res.headers.get('x-version') ?? undefined;
      } catch {
        return undefined;
      }
    }),
  );
}
