import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoad } from '../sandbox/load';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { rollingState, servedVersions } from './support/host-state';

const PORT = 18031;

/** Rolling deploys of the demo app, batch by batch behind nginx. */
describe('rolling deploy', () => {
  let w: DeployWorld;
  beforeAll(async () => {
    w = await startDeployWorld('rolling', {
      web: 4,
      lbPort: 18083,
      service: { strategy: 'rolling', ports: PORT, batchSize: '25%', healthTimeout: '3s' },
    });
  });
  afterAll(async () => {
    await w?.stop();
  });

  const web = () => w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'));
  const deploy = async (version: string) => {
    await w.build(version);
    return w.runway.wait(await w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'ci' }));
  };

  it('rolls a release out batch by batch, each host out of the upstream while it restarts: no failed request', async () => {
    expect((await deploy('3.0.0')).exitCode).toBe(0);
    const load = startLoad(w.nginx.url, { concurrency: 4 });
    const outcome = await deploy('3.1.0');
    const report = await load.stop();
    expect(outcome.exitCode).toBe(0);
    expect(outcome.report?.steps.map((s) => s.name).filter((n) => n.startsWith('batch'))).toEqual([
      'batch 1/4: web-1',
      'batch 2/4: web-2',
      'batch 3/4: web-3',
      'batch 4/4: web-4',
    ]);
    expect(report.failures).toBe(0);
    expect(await servedVersions(w, PORT)).toEqual(['3.1.0', '3.1.0', '3.1.0', '3.1.0']);
  });

  it('a host failing its health check stops the rollout and rolls the completed batches back', async () => {
    const before = rollingState(w);
    const marker = join(web()[2].dir, 'app', 'FAIL_HEALTH');
    writeFileSync(marker, '');
    try {
      const outcome = await deploy('3.2.0');
      expect(outcome.exitCode).toBe(1);
      expect(outcome.message).toMatch(/3\.2\.0 \(1 failed hosts, maxFailures 0\) is not healthy on 1 host: web-3/);
      const statuses = Object.fromEntries(outcome.report!.steps.map((s) => [s.name, s.status]));
      expect(statuses).toMatchObject({
        'batch 1/4: web-1': 'undone',
        'batch 2/4: web-2': 'undone',
        'batch 3/4: web-3': 'undone',
      });
      expect(statuses['batch 4/4: web-4']).toBeUndefined();
    } finally {
      rmSync(marker);
    }
    expect(rollingState(w)).toEqual(before);
    expect(await servedVersions(w, PORT)).toEqual(['3.1.0', '3.1.0', '3.1.0', '3.1.0']);
  });

  it('rollback goes back to the previous release on every host', async () => {
    const outcome = await w.runway.wait(await w.runway.start('rollback', { environment: 'test', service: 'app' }));
    expect(outcome.exitCode).toBe(0);
    expect(await servedVersions(w, PORT)).toEqual(['3.0.0', '3.0.0', '3.0.0', '3.0.0']);
  });
});
