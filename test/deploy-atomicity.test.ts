import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { blueGreenState, servedVersions } from './support/host-state';

type Fault = 'none' | 'upload' | 'start' | 'health' | 'switch' | 'host-lost';
const PORTS = { blue: 18021, green: 18022 };

/**
 * Atomicity, as a property: a fault injected at a random step of a blue-green deploy — a corrupt artifact, a start
 * command failing on one host, a failing health check, nginx refusing the new upstream, a host that vanishes for a
 * while — and the end state on every host (live slot and its release, running instances, upstream) is fully the new
 * release or fully the old one.
 */
describe('deploy atomicity', () => {
  let w: DeployWorld;
  let n = 0;
  beforeAll(async () => {
    w = await startDeployWorld('atomic', {
      web: 3,
      lbPort: 18082,
      service: { strategy: 'blue-green', ports: PORTS, healthTimeout: '3s', drainWait: '300ms' },
    });
    await w.build('0.0.1');
    expect((await w.runway.wait(await start('0.0.1'))).exitCode).toBe(0);
  });
  afterAll(async () => {
    await w?.stop();
  });

  function start(version: string) {
    return w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'prop' });
  }
  const web = () => w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'));
  const lbDir = () => join(w.world.sandbox.hosts.find((h) => h.name === 'lb-1')!.dir, 'app');

  async function inject(fault: Fault, host: number, version: string): Promise<() => Promise<void>> {
    const target = web()[host];
    switch (fault) {
      case 'upload': {
        // A release whose tarball is not gzip at all: unpacking fails on every host.
        mkdirSync(w.artifactsDir, { recursive: true });
        writeFileSync(join(w.artifactsDir, `demo-app-${version}.tar.gz`), 'not a tarball');
        return async () => undefined;
      }
      case 'start':
        writeFileSync(join(target.dir, 'app', 'FAIL_START'), '');
        return async () => rmSync(join(target.dir, 'app', 'FAIL_START'));
      case 'switch':
        mkdirSync(lbDir(), { recursive: true });
        writeFileSync(join(lbDir(), 'FAIL_LB_TEST'), '');
        return async () => rmSync(join(lbDir(), 'FAIL_LB_TEST'));
      default:
        return async () => undefined;
    }
  }

  it('a fault at any step leaves every host fully new or fully old', async () => {
    const faults: Fault[] = ['none', 'upload', 'start', 'health', 'switch', 'host-lost'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...faults),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2500 }),
        async (fault, host, delay) => {
          const before = blueGreenState(w);
          const old = before.hosts[0].version!;
          const version = `1.${++n}.0`;
          if (fault !== 'upload') await w.build(version, { failHealth: fault === 'health' });
          const undoFault = await inject(fault, host, version);
          const handle = await start(version);
          if (fault === 'host-lost') {
            // The host vanishes (sshd and its sessions gone; the app keeps running) and returns 3 s later.
            await new Promise((r) => setTimeout(r, delay));
            await w.world.sandbox.stopHost(web()[host].name);
            await new Promise((r) => setTimeout(r, 3000));
            await w.world.sandbox.startHost(web()[host].name);
          }
          const outcome = await w.runway.wait(handle);
          await undoFault();
          const after = blueGreenState(w);
          const expected = outcome.exitCode === 0 ? version : old;
          if (['upload', 'start', 'health', 'switch'].includes(fault)) expect(outcome.exitCode).toBe(1);
          if (fault === 'none') expect(outcome.exitCode).toBe(0);
          expect([0, 1]).toContain(outcome.exitCode);
          // Fully one release: the same live slot and version everywhere, the upstream on that slot, instances agree.
          expect(new Set(after.hosts.map((h) => `${h.live} ${h.version}`)).size).toBe(1);
          expect(after.hosts[0].version).toBe(expected);
          const live = after.hosts[0].live as 'blue' | 'green';
          const idle = live === 'blue' ? 'green' : 'blue';
          if (outcome.exitCode !== 0) expect(after).toEqual(before);
          expect(after.upstream).toContain(`:${PORTS[live]};`);
          expect(after.upstream).not.toContain(`:${PORTS[idle]};`);
          expect(await servedVersions(w, PORTS[live])).toEqual(web().map(() => expected));
          expect(await servedVersions(w, PORTS[idle])).toEqual(web().map(() => undefined));
          expect((await (await fetch(w.nginx.url)).text()).trim()).toBe(`version=${expected}`);
        },
      ),
      // Every fault once for sure, then random ones.
      { numRuns: 8, examples: faults.map((f, i): [Fault, number, number] => [f, i % 3, 400 * i]) },
    );
  });
});
