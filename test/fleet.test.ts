import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { linkScript } from '../runbooks/deploy/scripts';
import { runCli, waitFor } from './support/harness';
import { saveHistory } from './support/save-history';

/** `npm run record-histories:fleet` sets this: the runs below save their histories (the run's and one child's). */
const RECORD = process.env.RUNWAY_RECORD_HISTORIES === '1';
async function record(fleet: FakeFleet, name: string, handle: WorkflowHandle): Promise<void> {
  if (!RECORD) return;
  await saveHistory(name, handle);
  const [child] = (await fleet.histories(handle)).filter((s) => s.workflowId !== handle.workflowId).slice(-1);
  await saveHistory(`${name}-child`, fleet.runway.client.workflow.getHandle(child.workflowId));
}
import {
  deployRolling,
  notNewestFirst,
  lastSwitches,
  ROLLING,
  ROLLING_UPSTREAM,
  startFakeFleet,
  startRollingFleet,
  type FakeFleet,
  type RollingFleet,
  unhealthyOn,
} from './support/fake-fleet';

const WEB = 1000;
const FAILING = 'web-777'; // in batch 8 of 10 (web-701 … web-800)
/** Temporal warns past this many events in one history; no run of Runway's may come near it. */
const EVENT_WARNING = 10_240;

/**
 * An exec over 1,000 modelled hosts through the real worker, workflows and activities: commands on more than
 * `fanout.childAbove` hosts run in `hostCommands` child workflows, so neither the run's history nor any child's grows
 * toward Temporal's limits, and the run's report still accounts for every host.
 */
describe('an exec over 1,000 hosts (fake activities, child workflows)', () => {
  let fleet: FakeFleet;
  beforeAll(async () => {
    fleet = await startFakeFleet('fleet-exec', {
      web: WEB,
      answer: (host, command) =>
        (command.includes('fail-on-777') && host.name === FAILING) || command.includes('fail-everywhere')
          ? { exitCode: 3, stderr: 'disk full\n' }
          : { stdout: `ok ${host.name}\n` },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });
  const exec = (command: string, extra: { batchSize?: string } = {}) =>
    fleet.runway.start('exec', { environment: 'fleet', role: 'web', command, ...extra });

  it('runs on every host in child workflows; no history near the event limit', async () => {
    const from = fleet.hosts.log.length;
    const handle = await exec('uptime');
    const outcome = await fleet.runway.wait(handle);
    expect(outcome.status).toBe('succeeded');
    const ran = fleet.hosts.log.slice(from);
    expect(new Set(ran.map((r) => r.host)).size).toBe(WEB);
    expect(ran).toHaveLength(WEB); // each host once
    const [step] = outcome.report!.steps;
    expect(step.counts).toEqual({ succeeded: WEB, failed: 0, skipped: 0 });
    expect(Object.keys(step.hosts)).toEqual([]); // the parent keeps counts; the children hold each host's result
    const sizes = await fleet.histories(handle);
    expect(sizes.length).toBe(1 + WEB / 50); // the run and its children of 50 hosts
    expect(sizes[0].events).toBeLessThan(EVENT_WARNING / 4);
    const parent = sizes.find((s) => s.workflowId === handle.workflowId)!;
    expect(parent.events).toBeLessThan(200);
    // Each host's output is in the children's results, in the run's host order.
    const children = await fleet.runway.childOutcomes(handle.workflowId);
    expect(children.map((o) => o.host)).toEqual(Array.from({ length: WEB }, (_, i) => `web-${i + 1}`));
    expect(children[999]).toMatchObject({ status: 'fulfilled', value: { exitCode: 0, stdout: 'ok web-1000\n' } });
    await record(fleet, 'fleet-exec', handle);
    console.log(
      `exec on ${WEB} hosts: largest history ${sizes[0].events} events (${sizes[0].workflowId}), run ${parent.events}`,
    );
  });

  it('runway exec prints every host and its output, from the child workflows; exit 0', async () => {
    const result = await runCli(['-c', join(fleet.dir, 'runway.yml'), 'exec', '-e', 'fleet', '-r', 'web', '--', 'id']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const headers = result.stdout.split('\n').filter((l) => l.startsWith('── '));
    expect(headers).toHaveLength(WEB);
    expect(headers[0]).toBe('── web-1 (succeeded, exit 0)');
    expect(result.stdout).toContain('── web-1000 (succeeded, exit 0)\nok web-1000\n');
  });

  it('small batches of a fleet run in child workflows too: the run keeps a few events a batch', async () => {
    const hosts = Array.from({ length: 60 }, (_, i) => `web-${i + 1}`);
    const handle = await fleet.runway.start('exec', { environment: 'fleet', hosts, command: 'uptime', batchSize: 10 });
    const outcome = await fleet.runway.wait(handle);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.report!.steps.map((s) => [s.name, s.counts])).toEqual(
      [1, 2, 3, 4, 5, 6].map((b) => [`batch ${b}/6`, { succeeded: 10, failed: 0, skipped: 0 }]),
    );
    const sizes = await fleet.histories(handle);
    expect(sizes).toHaveLength(1 + 6); // the run, and a child of 10 hosts a batch
    expect(sizes.find((s) => s.workflowId === handle.workflowId)!.events).toBeLessThan(150);
  });

  it('a batch failing on every host says so in one readable line: ten hosts named, and how many more', async () => {
    const handle = await exec('echo fail-everywhere', { batchSize: '10%' });
    const outcome = await fleet.runway.wait(handle);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain('command failed on 100 of 100 hosts: web-1: exited 3 (disk full); ');
    expect(outcome.message).toContain('web-10: exited 3 (disk full); and 90 more');
    expect(outcome.message!.length).toBeLessThan(1000);
    expect(outcome.report!.steps[0].counts).toEqual({ succeeded: 0, failed: 100, skipped: 0 });
  });

  it('a host failing in batch 8 of 10 stops the run there: batches 9 and 10 never start, the failure is named', async () => {
    const from = fleet.hosts.log.length;
    const handle = await exec('echo fail-on-777', { batchSize: '10%' });
    const outcome = await fleet.runway.wait(handle);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain(`${FAILING}: exited 3 (disk full)`);
    const ran = new Set(fleet.hosts.log.slice(from).map((r) => r.host));
    expect(ran.has('web-800')).toBe(true); // the failing batch's other child still finished
    expect([...ran].some((h) => Number(h.slice(4)) > 800)).toBe(false);
    const steps = outcome.report!.steps;
    expect(steps.map((s) => s.status)).toEqual([...Array(7).fill('succeeded'), 'failed']);
    expect(steps[7].counts).toEqual({ succeeded: 99, failed: 1, skipped: 0 });
    expect(Object.keys(steps[7].hosts)).toEqual([FAILING]);
    expect(steps[7].hosts[FAILING]).toMatchObject({ status: 'failed', exitCode: 3, stderrTail: 'disk full\n' });
    const sizes = await fleet.histories(handle);
    expect(sizes[0].events).toBeLessThan(EVENT_WARNING / 4);
  });
});

/**
 * A rolling deploy over 1,000 modelled hosts in batches of 10%: each batch's commands and health probes run in child
 * workflows; a host failing its health gate in batch 8 rolls back batches 8…1 newest first — each batch's revert
 * again in child workflows — and the load balancer (a real shell, its file compared byte for byte) ends as it was.
 */
describe('a rolling deploy over 1,000 hosts (fake activities, child workflows)', () => {
  const batchOf = (host: string) => Math.floor((Number(host.slice(4)) - 1) / 100) + 1;
  let fleet: RollingFleet;

  beforeAll(async () => {
    fleet = await startRollingFleet('fleet-rolling', {
      web: WEB,
      batchSize: '10%',
      expectBody: 'ok {{version}}',
      health: unhealthyOn(FAILING),
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('a batch size whose run could outgrow one history is refused before anything starts: one line, exit 2', async () => {
    const config = join(fleet.dir, 'runway-batches-of-1.yml');
    const text = readFileSync(join(fleet.dir, 'runway.yml'), 'utf8');
    expect(text).toContain('batchSize: 10%');
    writeFileSync(config, text.replace('batchSize: 10%', 'batchSize: 1'));
    const from = fleet.hosts.log.length;
    const result = await runCli(['-c', config, 'deploy', 'app', ROLLING.version, '-e', 'fleet']);
    expect([result.code, result.stderr.trim().split('\n')]).toEqual([
      2,
      [
        expect.stringMatching(
          /^runway: services\.app\.batchSize: 1 makes 1000 batches of 1000 hosts, .* use batches of 5 hosts or more$/,
        ),
      ],
    ]);
    expect(fleet.hosts.log.length).toBe(from);
  });

  // About a minute alone on two cores: 800 hosts switched and reverted, 168 child workflows.
  it('a host failing in batch 8 rolls back batches 8…1 newest first, across child workflows', async () => {
    const { handle, outcome } = await deployRolling(fleet);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain(`${FAILING}:`);
    const batchSteps = outcome.report!.steps.filter((s) => s.name.startsWith('batch '));
    expect(batchSteps.map((s) => s.name.split(':')[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((b) => `batch ${b}/10`));
    expect(batchSteps.map((s) => s.status)).toEqual(Array(8).fill('undone'));

    // Each host's last switch of `current`: every host of batches 1–8 ends back on the old release, newest batch first.
    const last = lastSwitches(fleet);
    expect(last.size).toBe(800);
    expect([...last.values()].every((v) => v.to === ROLLING.old)).toBe(true);
    expect(notNewestFirst(fleet, batchOf, 8)).toEqual([]);
    const later = fleet.hosts.log.filter((r) => r.host.startsWith('web-') && batchOf(r.host) > 8);
    expect(later.filter((r) => /stop-app|start-app/.test(r.command))).toEqual([]);
    expect(readFileSync(fleet.upstreamFile, 'utf8')).toBe(ROLLING_UPSTREAM);

    const sizes = await fleet.histories(handle);
    console.log(
      `rolling deploy on ${WEB} hosts with rollback: ${sizes.length - 1} children, largest history ${sizes[0].events} events (${sizes[0].workflowId})`,
    );
    expect(sizes[0].events).toBeLessThan(EVENT_WARNING / 2);
  }, 300_000);
});

/**
 * Cancelling a fleet deploy while a batch runs in child workflows: the children are cancelled with the run, and the
 * rollback — outside cancellation's reach — puts every host the run switched back on its old release.
 */
describe('a rolling deploy over 200 hosts cancelled mid-rollout (fake activities, child workflows)', () => {
  const batchOf = (host: string) => Math.floor((Number(host.slice(4)) - 1) / 60) + 1;
  const switchTo = (version: string) => linkScript(ROLLING.dir, 'current', version);
  let fleet: RollingFleet;

  beforeAll(async () => {
    fleet = await startRollingFleet('fleet-cancel', {
      web: 200,
      batchSize: '30%',
      ssh: 'heartbeatTimeout: 2s',
      answer: async (host, command) => {
        // Batch 2 takes its time switching, heartbeating like the real command: the run is cancelled meanwhile.
        if (batchOf(host.name) !== 2 || !command.includes(switchTo(ROLLING.version))) return undefined;
        const activity = Context.current();
        for (let i = 0; i < 50; i++) {
          activity.heartbeat();
          await activity.sleep(100); // rejects once the cancellation reaches this activity
        }
        return {};
      },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('cancels the running children and rolls every switched host back', async () => {
    const handle = await fleet.runway.start('deploy', {
      environment: 'fleet',
      service: 'app',
      version: ROLLING.version,
    });
    await waitFor('batch 2 switching', () =>
      fleet.hosts.log.some((r) => batchOf(r.host) === 2 && r.command.includes(switchTo(ROLLING.version))),
    );
    await handle.cancel();
    const outcome = await fleet.runway.wait(handle);
    expect(outcome.status).toBe('cancelled');
    expect(outcome.exitCode).toBe(4);
    const last = lastSwitches(fleet);
    expect(new Set([...last.keys()].map(batchOf))).toEqual(new Set([1, 2]));
    expect([...last].filter(([, v]) => v.to !== ROLLING.old).map(([h]) => h)).toEqual([]);
    expect(readFileSync(fleet.upstreamFile, 'utf8')).toBe(ROLLING_UPSTREAM);
    // The batch-2 children that were running when the run was cancelled ended cancelled, not completed.
    const children = (await fleet.histories(handle)).filter((s) => s.workflowId !== handle.workflowId);
    const statuses = await Promise.all(
      children.map(async (c) => (await fleet.runway.client.workflow.getHandle(c.workflowId).describe()).status.name),
    );
    expect(statuses).toContain('CANCELLED');
    expect(statuses.filter((s) => s !== 'COMPLETED' && s !== 'CANCELLED')).toEqual([]);
  });
});

/**
 * A small fleet with small child workflows (fan-outs over more than 2 hosts, 2 hosts each): a rolling deploy whose
 * batch 3 of 4 fails its health gate, rolled back across children. Its histories, the run's and a child's, are the
 * recorded fleet deploy that every later runbook change must replay (`npm run record-histories:fleet`).
 */
describe('a rolling deploy over 12 hosts in child workflows of 2 (fake activities, recorded)', () => {
  let fleet: RollingFleet;

  beforeAll(async () => {
    fleet = await startRollingFleet('fleet-small', {
      web: 12,
      batchSize: '25%',
      extra: ['fanout: { childAbove: 2, hostsPerChild: 2 }'],
      health: unhealthyOn('web-8'),
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('rolls batches 3…1 back; every batch ran in children', async () => {
    const { handle, outcome } = await deployRolling(fleet);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain('web-8:');
    const batchSteps = outcome.report!.steps.filter((s) => s.name.startsWith('batch '));
    expect(batchSteps.map((s) => s.status)).toEqual(['undone', 'undone', 'undone']);
    const last = lastSwitches(fleet);
    expect([...last.keys()].sort()).toEqual(Array.from({ length: 9 }, (_, i) => `web-${i + 1}`).sort());
    expect([...last.values()].every((v) => v.to === ROLLING.old)).toBe(true);
    expect(readFileSync(fleet.upstreamFile, 'utf8')).toBe(ROLLING_UPSTREAM);
    const sizes = await fleet.histories(handle);
    expect(sizes.length).toBeGreaterThan(12);
    await record(fleet, 'fleet-deploy', handle);
  });
});

/**
 * The undo of a batch that ran in child workflows keeps the guarantees of one that did not: retried (each try again
 * in children), and when one host's revert keeps failing the run ends `rollback-incomplete`, names that host and
 * still undoes every other step.
 */
describe('a revert that keeps failing inside a child workflow (fake activities)', () => {
  const STUCK = 'web-2'; // in batch 1
  let fleet: RollingFleet;

  beforeAll(async () => {
    fleet = await startRollingFleet('fleet-stuck', {
      web: 12,
      batchSize: '25%',
      extra: ['fanout: { childAbove: 2, hostsPerChild: 2 }'],
      answer: (host, command) =>
        host.name === STUCK && command.includes(linkScript(ROLLING.dir, 'current', ROLLING.old))
          ? { exitCode: 1, stderr: 'read-only file system\n' }
          : undefined,
      health: unhealthyOn('web-8'),
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('ends rollback-incomplete naming the host; every other batch is undone', async () => {
    const { outcome } = await deployRolling(fleet);
    expect(outcome.status).toBe('rollback-incomplete');
    const batchSteps = outcome.report!.steps.filter((s) => s.name.startsWith('batch '));
    expect(batchSteps.map((s) => s.status)).toEqual(['undo-failed', 'undone', 'undone']);
    const undo = batchSteps[0].undo!;
    expect(undo.attempts).toBe(3);
    expect(undo.error).toContain(STUCK);
    // Each try reverted the batch again, in children: the stuck host was tried three times, its batch-mates reverted.
    const reverts = fleet.hosts.log.filter((r) => r.command.includes(linkScript(ROLLING.dir, 'current', ROLLING.old)));
    expect(reverts.filter((r) => r.host === STUCK)).toHaveLength(3);
    // (The model logs the stuck host's failed reverts too, so its last logged switch is to the old release as well.)
    const last = lastSwitches(fleet);
    expect([...last.keys()].sort()).toEqual(Array.from({ length: 9 }, (_, i) => `web-${i + 1}`).sort());
    expect([...last.values()].every((v) => v.to === ROLLING.old)).toBe(true);
    expect(readFileSync(fleet.upstreamFile, 'utf8')).toBe(ROLLING_UPSTREAM);
  });
});
