import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoad } from '../sandbox/load';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { rollingState, servedVersions } from './support/host-state';
import { historySizes } from './support/history';

const WEB = 100;
const PORT = 18063;
/** In batch 8 of 10 (web-71 … web-80). */
const FAILING = 75;
/** Temporal warns past this many events in one history. */
const EVENT_WARNING = 10_240;

/**
 * A rolling deploy over 100 real sshd hosts behind real nginx (the light demo app), with fan-outs over more than 8
 * hosts in child workflows of 10: each batch's switch, health probes and revert is a child, the release phases over
 * all 100 hosts ten each. A host failing its health gate in batch 8 rolls batches 8…1 back, and nginx answers every
 * request meanwhile.
 */
describe('a rolling deploy over 100 sshd hosts in child workflows', () => {
  let w: DeployWorld;
  beforeAll(async () => {
    w = await startDeployWorld('fleet-sshd', {
      web: WEB,
      lbPort: 18097,
      // The light demo app: each host's start and stop are real commands over ssh, and one process answers for every
      // host as its instance would (a node process per host would spend this test's time starting 200 of them).
      service: { strategy: 'rolling', ports: PORT, batchSize: '10%', healthTimeout: '4s', light: true },
      extra: 'fanout:\n  childAbove: 8\n  hostsPerChild: 10\n',
    });
  }, 300_000);
  afterAll(async () => {
    await w?.stop();
  }, 120_000);

  const deploy = async (version: string) => {
    await w.build(version);
    const handle = await w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'ci' });
    return { handle, outcome: await w.runway.wait(handle) };
  };
  it('a host failing in batch 8 rolls batches 8…1 back across child workflows; nginx fails no request', async () => {
    const first = await deploy('1.0.0');
    expect(first.outcome.exitCode).toBe(0);
    expect(new Set(await servedVersions(w, PORT))).toEqual(new Set(['1.0.0']));
    const before = rollingState(w);

    const marker = join(w.world.sandbox.hosts[FAILING - 1].dir, 'app', 'FAIL_HEALTH');
    writeFileSync(marker, '');
    const load = startLoad(w.nginx.url, { concurrency: 4 });
    let run;
    try {
      run = await deploy('1.1.0');
    } finally {
      rmSync(marker);
    }
    const report = await load.stop();
    const { outcome, handle } = run;

    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toMatch(new RegExp(`not healthy on 1 host: web-${FAILING}\\b`));
    const batchSteps = outcome.report!.steps.filter((s) => s.name.startsWith('batch '));
    expect(batchSteps.map((s) => s.name.split(':')[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((b) => `batch ${b}/10`));
    expect(batchSteps.map((s) => s.status)).toEqual(Array(8).fill('undone'));

    // Every host as it was, byte for byte, with the upstream file; each answers the old release.
    expect(rollingState(w)).toEqual(before);
    expect(await servedVersions(w, PORT)).toEqual(Array(WEB).fill('1.0.0'));
    expect(report.total).toBeGreaterThan(100);
    expect(report.errors).toEqual([]);
    expect(report.failures).toBe(0);

    const sizes = await historySizes(w.runway.client.workflow, handle);
    const children = sizes.filter((s) => s.workflowId !== handle.workflowId);
    // Batches 1–8 (switch, health probes) and their reverts ran as children, and so did the release phases.
    expect(children.length).toBeGreaterThanOrEqual(8 * 3 + 10);
    expect(sizes[0].events).toBeLessThan(EVENT_WARNING / 2);
    console.log(
      `rolling deploy on ${WEB} sshd hosts, rolled back from batch 8: ${children.length} children, largest history ` +
        `${sizes[0].events} events (${sizes[0].workflowId}); load: ${report.total} requests, ${report.failures} failed`,
    );
  }, 600_000);
});
