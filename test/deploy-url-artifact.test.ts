import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { blueGreenState } from './support/host-state';

/** Releases fetched by the hosts themselves from an artifact server, checked against the published sha256. */
describe('URL artifacts', () => {
  let w: DeployWorld;
  let server: Server;
  let dir = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const file = join(dir, basename(req.url ?? ''));
      if (!dir || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200);
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    w = await startDeployWorld('urlart', {
      web: 2,
      lbPort: 18090,
      artifactUrl: url,
      service: {
        strategy: 'blue-green',
        ports: { blue: 18095, green: 18096 },
        healthTimeout: '5s',
        drainWait: '200ms',
      },
    });
    dir = w.artifactsDir;
  });
  afterAll(async () => {
    await w?.stop();
    await new Promise((r) => server?.close(r));
  });

  async function publish(version: string, sha?: string) {
    const built = await w.build(version);
    writeFileSync(`${built.file}.sha256`, `${sha ?? built.sha256}  ${basename(built.file)}\n`);
    return built;
  }
  const deploy = async (version: string, extra: Record<string, string> = {}) =>
    w.runway.wait(await w.runway.start('deploy', { environment: 'test', service: 'app', version, ...extra }));

  it('each host fetches the release and checks it against the published sha256', async () => {
    await publish('7.0.0');
    expect((await deploy('7.0.0')).exitCode).toBe(0);
    expect((await (await fetch(w.nginx.url)).text()).trim()).toBe('version=7.0.0');
  });

  it('a published sha256 that does not match: the upload fails, nothing else changes', async () => {
    const before = blueGreenState(w);
    await publish('7.1.0', 'f'.repeat(64));
    const outcome = await deploy('7.1.0');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toContain(`sha256 mismatch`);
    expect(blueGreenState(w)).toEqual(before);
  });

  it('a pinned --sha256 is checked on the host too', async () => {
    const before = blueGreenState(w);
    await publish('7.2.0');
    const outcome = await deploy('7.2.0', { sha256: 'e'.repeat(64) });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toContain(`expected ${'e'.repeat(64)}`);
    expect(blueGreenState(w)).toEqual(before);
  });
});
