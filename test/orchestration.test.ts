import { readFileSync } from 'node:fs';
import {
  deployRolling,
  lastSwitches,
  notNewestFirst,
  ROLLING,
  ROLLING_UPSTREAM,
  startRollingFleet,
  type RollingFleet,
  unhealthyOn,
} from './support/fake-fleet';

const WEB = 500;
const BATCH = 10;
const FAILING = 'web-65'; // in batch 7 (web-61 … web-70)
const batchOf = (host: string) => Math.floor((Number(host.slice(4)) - 1) / BATCH) + 1;

/**
 * Orchestration over a fleet too big for sshd on this machine, on the fake activities: the real worker, workflows and
 * activities (createActivities), with the hosts and their services modelled. The release phases over all 500 hosts
 * run in child workflows, and so do the batches of 10 (a fleet's batches do, down to 4 hosts: see `runFanout`). The
 * load balancer's commands run for real in a local shell, so its upstream file can be compared byte for byte.
 */
describe('a rolling deploy over 500 hosts in batches of 10 (fake activities)', () => {
  let fleet: RollingFleet;

  beforeAll(async () => {
    fleet = await startRollingFleet('fleet-500', {
      web: WEB,
      batchSize: String(BATCH),
      expectBody: 'ok {{version}}',
      health: unhealthyOn(FAILING),
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('a host failing in batch 7 rolls back batches 7…1 newest first and leaves the upstream as it was', async () => {
    const started = Date.now();
    const { outcome } = await deployRolling(fleet);
    const seconds = (Date.now() - started) / 1000;
    console.log(`500-host rolling deploy with rollback: ${seconds.toFixed(1)} s, ${fleet.hosts.log.length} commands`);

    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toContain(`${FAILING}:`);
    const batchSteps = outcome.report!.steps.filter((s) => s.name.startsWith('batch '));
    expect(batchSteps.map((s) => s.name.split(':')[0])).toEqual([1, 2, 3, 4, 5, 6, 7].map((b) => `batch ${b}/50`));
    expect(batchSteps.map((s) => s.status)).toEqual(Array(7).fill('undone'));
    // Each batch switched its hosts in a child workflow: the step keeps counts, not a result per host.
    expect(batchSteps.map((s) => s.counts?.succeeded)).toEqual(Array(7).fill(BATCH));

    // Each host's last switch of `current`: every host of batches 1–7 ends back on the old release, and the batches
    // went back newest first — all of batch k before any of batch k-1.
    const last = lastSwitches(fleet);
    const touched = [...last.keys()];
    expect(new Set(touched.map(batchOf))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
    expect(touched).toHaveLength(70);
    expect([...last.values()].every((v) => v.to === ROLLING.old)).toBe(true);
    expect(notNewestFirst(fleet, batchOf, 7)).toEqual([]);

    // Hosts after the failing batch were never switched, stopped or started.
    const later = fleet.hosts.log.filter((r) => r.host.startsWith('web-') && batchOf(r.host) > 7);
    expect(later.filter((r) => /stop-app|start-app/.test(r.command))).toEqual([]);

    // The load balancer's upstream file is back byte for byte.
    expect(readFileSync(fleet.upstreamFile, 'utf8')).toBe(ROLLING_UPSTREAM);
  });
});
