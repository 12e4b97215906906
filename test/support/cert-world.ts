import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx, type SandboxNginx } from '../../sandbox/nginx';
import { makeTestCa } from './certs';
import { startWorker, startWorld, type TestWorld } from './harness';

const DAY = 86_400_000;

/**
 * Two sandbox load balancers (lb-1, lb-2) running real nginx with TLS listeners, certificates from a private CA, and
 * a runway.yml with one certificate entry per case: `site` (good, on both), `old` (expired), `other` (another name),
 * `mixed` (a different certificate on each), `soon` (within its renew-before), `down` (nothing listens).
 */
export interface CertWorld {
  world: TestWorld;
  worker: Awaited<ReturnType<typeof startWorker>>;
  stop(): Promise<void>;
}

export async function startCertWorld(name: string): Promise<CertWorld> {
  let world: TestWorld | undefined;
  let worker: CertWorld['worker'] | undefined;
  const lbs: SandboxNginx[] = [];
  const stop = async () => {
    await worker?.stop();
    await Promise.all(lbs.map((n) => n.stop()));
    await world?.stop();
  };
  try {
    const base = 21_000 + Math.floor(Math.random() * 20_000);
    const port = {
      http: base,
      site: base + 1,
      old: base + 2,
      other: base + 3,
      mixed: base + 4,
      soon: base + 5,
      down: base + 6,
    };
    const yaml = [
      'certificates:',
      '  site:',
      '    environment: test',
      '    domains: [site.test, www.site.test]',
      `    endpoints: [{ role: lb, port: ${port.site} }]`,
      '    schedule: { check: "0 6 * * *" }',
      '  old:',
      '    environment: test',
      '    domains: [site.test]',
      `    endpoints: [{ host: lb-1, port: ${port.old} }]`,
      '  other:',
      '    environment: test',
      '    domains: [site.test]',
      `    endpoints: [{ host: lb-1, port: ${port.other} }]`,
      '  mixed:',
      '    environment: test',
      '    domains: [site.test]',
      `    endpoints: [{ role: lb, port: ${port.mixed}, sni: www.site.test }]`,
      '  soon:',
      '    environment: test',
      '    domains: [site.test]',
      '    renewBefore: 30d',
      `    endpoints: [{ host: lb-2, port: ${port.soon} }]`,
      '  down:',
      '    environment: test',
      '    domains: [site.test]',
      `    endpoints: [{ host: lb-2, port: ${port.down} }]`,
      '',
    ].join('\n');
    world = await startWorld(name, 2, {
      names: ['lb-1', 'lb-2'],
      roles: { 'lb-1': ['lb'], 'lb-2': ['lb'] },
      extra: yaml,
    });
    const caDir = join(world.dir, 'ca');
    const ca = makeTestCa(caDir);
    const now = Date.now();
    const valid = { from: new Date(now - DAY), until: new Date(now + 60 * DAY) };
    const site = ca.issue('site', { sans: ['site.test', 'www.site.test'], ...valid });
    const site2 = ca.issue('site2', { sans: ['site.test', 'www.site.test'], ...valid });
    const old = ca.issue('old', { sans: ['site.test'], from: new Date(now - 90 * DAY), until: new Date(now - DAY) });
    const other = ca.issue('other', { sans: ['other.test'], ...valid });
    const soon = ca.issue('soon', {
      sans: ['site.test'],
      from: new Date(now - 80 * DAY),
      until: new Date(now + 10 * DAY),
    });
    // nginx runs as the sandbox login user: it must read the keys.
    chmodSync(world.dir, 0o755);
    chmodSync(caDir, 0o755);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', world.sandbox.user]).toString());
      for (const f of readdirSync(caDir)) chownSync(join(caDir, f), uid, -1);
    }
    const hosts = world.sandbox.hosts;
    const start = (i: number, tls: Array<{ port: number; certFile: string; keyFile: string }>) =>
      startNginx({
        dir: hosts[i].dir,
        address: hosts[i].address,
        port: port.http,
        upstreamName: 'app',
        servers: ['127.0.0.1:9'],
        tls,
      });
    lbs.push(
      await start(0, [
        { port: port.site, ...site },
        { port: port.old, ...old },
        { port: port.other, ...other },
        { port: port.mixed, ...site },
      ]),
      await start(1, [
        { port: port.site, ...site },
        { port: port.mixed, ...site2 },
        { port: port.soon, ...soon },
      ]),
    );
    worker = await startWorker(world);
    return { world, worker, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
