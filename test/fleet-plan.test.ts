import { join } from 'node:path';
import { InputError, parseConfig } from '../config';
import { buildPlan } from '../activities/plan';
import { upstreamConf } from '../runbooks/deploy/scripts';
import { HISTORY_BUDGET, runFanout, SMALLEST_CHILD_BATCH, tooManyBatches, worstHistory } from '../core/batches';

const FANOUT = { childAbove: 50, hostsPerChild: 50 };
/** The upstream file of the fake fleet's 1,000 hosts, every one marked down. */
const WEB = Array.from({ length: 1000 }, (_, i) => ({
  name: `web-${i + 1}`,
  address: `127.210.${(i >> 8) + 1}.${i & 255}`,
}));
const UPSTREAM = upstreamConf('app', WEB, 8000, new Set(WEB.map((h) => h.name))).length;

describe('the fan-out of a run in batches (pure)', () => {
  it.each([
    // hosts, batch size, the run's childAbove
    [40, '10%', 50], // not a fleet: the config's
    [1000, '10%', 50], // batches of 100 go to children anyway
    [1000, '1%', 9], // batches of 10 go to children too
    [1000, 10, 9],
    [1000, 4, 3],
    [1000, 3, 50], // too small for a child to save anything: the run's own history
    [1000, 1, 50],
    [51, 50, 49],
    [60, '100%', 50], // one batch of 60
  ] as const)('%d hosts in batches of %s: childAbove %d', (hosts, size, childAbove) => {
    expect(runFanout(FANOUT, hosts, size)).toEqual({ childAbove, hostsPerChild: 50 });
  });

  it('a batch of a fleet runs in child workflows exactly when it has SMALLEST_CHILD_BATCH hosts or more', () => {
    for (let size = 1; size <= 120; size++) {
      const { childAbove } = runFanout(FANOUT, 1000, size);
      expect([size, childAbove < size]).toEqual([size, size >= SMALLEST_CHILD_BATCH]);
    }
  });

  // What the fake fleet measured (1,000 hosts, one load balancer, batches rolled back from the failing one), against
  // the model for the batches that ran: the release phases covered all 1,000 hosts.
  it.each([
    ['batches of 20 failing in the last: all 50 undone', 20, 1000, 3563, 13_353_440],
    ['batches of 4 failing in batch 100: 100 undone, 150 never ran', 4, 400, 6008, 18_718_637],
    ['batches of 5 failing in the last: all 200 undone', 5, 1000, 11_204, 33_488_471],
  ] as const)('the worst-case estimate is not below a measured run: %s', (_name, size, ran, events, bytes) => {
    const worst = worstHistory({
      kind: 'deploy',
      hosts: ran,
      size,
      fanout: runFanout(FANOUT, 1000, size),
      upstreamBytes: UPSTREAM,
    });
    expect(worst.events).toBeGreaterThanOrEqual(events);
    expect(worst.bytes + (1000 - ran) * 4096).toBeGreaterThanOrEqual(bytes);
  });

  it('refuses more batches than a run holds, and says what batch size fits', () => {
    const run = (hosts: number, size: number | string, upstreamBytes = 0) => ({
      kind: 'deploy' as const,
      hosts,
      size,
      fanout: FANOUT,
      upstreamBytes,
    });
    expect(tooManyBatches(run(1000, '10%', UPSTREAM))).toBeUndefined();
    expect(tooManyBatches(run(1000, '1%', UPSTREAM))).toBeUndefined();
    expect(tooManyBatches(run(1000, 5, UPSTREAM))).toBeUndefined();
    expect(tooManyBatches(run(1000, 2))).toBeUndefined();
    expect(tooManyBatches(run(1000, 1))).toBe(
      `1 makes 1000 batches of 1000 hosts, more than one run's history holds (Temporal ends a run past 51,200 events or 50 MB, wherever it is, a rollback too): use batches of 2 hosts or more`,
    );
    // With a load balancer, each batch sends the whole upstream four times: bytes, not events, set the limit.
    expect(tooManyBatches(run(1000, 4, UPSTREAM))).toMatch(
      /^4 makes 250 batches of 1000 hosts, .*use batches of 5 hosts or more$/,
    );
    expect(tooManyBatches(run(500, 1, UPSTREAM / 2))).toMatch(
      /^1 makes 500 batches of 500 hosts, .*use batches of 2 hosts or more$/,
    );
    const worst = worstHistory(run(1000, 5, UPSTREAM));
    expect(worst.bytes).toBeLessThanOrEqual(HISTORY_BUDGET.bytes);
    expect(worst.events).toBeLessThanOrEqual(HISTORY_BUDGET.events);
  });
});

/** A plan built from a config with a fleet: the client checks the same way before it starts anything. */
describe('plans of runs over a fleet', () => {
  const config = (batchSize: string, strategy = 'rolling', web = 1000) =>
    parseConfig(
      [
        'temporal: { address: embedded }',
        'ssh: { user: deploy, knownHosts: kh, agent: true }',
        'environments:',
        '  prod:',
        '    hosts:',
        ...Array.from(
          { length: web },
          (_, i) => `      web-${i + 1}: { address: 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}, roles: [web] }`,
        ),
        '      lb-1: { address: 10.9.0.1, roles: [lb] }',
        'services:',
        '  app:',
        `    strategy: ${strategy}`,
        '    roles: [web]',
        '    dir: app',
        '    artifact: { file: "app-{{version}}.tar.gz" }',
        '    start: start-app',
        '    stop: stop-app',
        '    health: { http: { path: /health } }',
        strategy === 'rolling' ? '    port: 8000' : '    slots: { blue: 8001, green: 8002 }',
        '    loadBalancer: { role: lb, upstreamFile: /etc/nginx/app.conf, upstream: app, test: "true", reload: "true" }',
        ...(strategy === 'rolling' ? [`    batchSize: ${batchSize}`] : []),
      ].join('\n'),
      join(__dirname, 'runway.yml'),
    );
  const deploy = { environment: 'prod', service: 'app', version: '2.0.0' };
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      return err instanceof InputError ? err.message : `not an input error: ${String(err)}`;
    }
    return 'not refused';
  };

  it('a rolling deploy in batches of 10 of 1,000 hosts sends each batch to child workflows', () => {
    for (const runbook of ['deploy', 'deployRolling', 'rollback']) {
      const input = runbook === 'rollback' ? { environment: 'prod', service: 'app' } : deploy;
      expect([runbook, buildPlan(config('10'), runbook, input, { artifact: false }).fanout]).toEqual([
        runbook,
        { childAbove: 9, hostsPerChild: 50 },
      ]);
    }
    expect(buildPlan(config('10%'), 'deploy', deploy, { artifact: false }).fanout).toEqual(FANOUT);
    expect(buildPlan(config('', 'blue-green'), 'deploy', deploy, { artifact: false }).fanout).toEqual(FANOUT);
  });

  it('an exec in batches over the fleet does the same; one on a few hosts keeps the config', () => {
    const exec = { environment: 'prod', role: 'web', command: 'uptime' };
    expect(buildPlan(config('10'), 'exec', { ...exec, batchSize: '1%' }).fanout).toEqual({
      childAbove: 9,
      hostsPerChild: 50,
    });
    const few = { environment: 'prod', hosts: ['web-1', 'web-2', 'web-3'], command: 'uptime', batchSize: 1 };
    expect(buildPlan(config('10'), 'exec', few).fanout).toEqual(FANOUT);
  });

  it('more batches than one history holds are refused in one line naming the setting, before anything runs', () => {
    expect(refusal(() => buildPlan(config('1'), 'deploy', deploy, { artifact: false }))).toBe(
      `services.app.batchSize: 1 makes 1000 batches of 1000 hosts, more than one run's history holds (Temporal ends a run past 51,200 events or 50 MB, wherever it is, a rollback too): use batches of 4 hosts or more`,
    );
    // An exec's batch is one command, never undone: one host at a time over 1,000 hosts fits, over 5,000 it does not.
    const serial = { environment: 'prod', role: 'web', command: 'true', batchSize: 1 };
    expect(buildPlan(config('10'), 'exec', serial).fanout).toEqual(FANOUT);
    expect(refusal(() => buildPlan(config('10', 'rolling', 5000), 'exec', serial))).toMatch(
      /^input\.batchSize: 1 makes 5000 batches of 5000 hosts, .*use batches of \d+ hosts or more$/,
    );
  });
});
