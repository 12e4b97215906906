import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { parse } from 'yaml';
import { execFileSync, type ChildProcess } from 'node:child_process';
import type { DrillRecord } from '../core/drills';
import { startNginx, type SandboxNginx } from '../sandbox/nginx';
import { makeTestCa } from './support/certs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunwayClient } from '../client/lib';
import { METRIC } from '../core/metrics';
import { freePort } from '../sandbox/process';
import { startPrometheus, type SandboxPrometheus } from '../sandbox/prometheus';
import { connectClient, spawnWorker, startWorld, waitFor, type TestWorld } from './support/harness';

/** TCP ports a process listens on: its socket inodes matched against the kernel's LISTEN table. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? [];
      } catch {
        return [];
      }
    }),
  );
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols.length > 9 && cols[3] === '0A' && inodes.has(cols[9]))
      .map((cols) => parseInt(cols[1].split(':')[1], 16)),
  );
}

/**
 * The worker's Prometheus endpoint, scraped by a real Prometheus while runs succeed, fail, roll back and are refused:
 * Runway's counters match the runs made (by outcome, with bounded labels), host commands and steps are counted, the
 * SDK's own metrics are served beside them — and a worker without `metrics.listen` opens no port at all.
 */
describe('worker metrics, scraped by Prometheus', () => {
  let world: TestWorld;
  let plain: TestWorld;
  let worker: ChildProcess;
  let quiet: ChildProcess;
  let runway: RunwayClient;
  let prometheus: SandboxPrometheus;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), 'runway-prometheus-'));
  const OPS = join(__dirname, '..', 'ops');

  let nginx: SandboxNginx | undefined;
  const drillLog = join(dir, 'drills.jsonl');

  beforeAll(async () => {
    port = await freePort();
    const tlsPort = await freePort();
    // host-1 serves a files backup set and a TLS endpoint; host-3 will change its key, host-4 will go down.
    const extra = [
      `metrics: { listen: 127.0.0.1:${port} }`,
      `audit: { file: ${JSON.stringify(join(dir, 'audit.jsonl'))}, drills: ${JSON.stringify(drillLog)} }`,
      'backups:',
      '  site:',
      '    kind: files',
      '    environment: test',
      '    host: host-1',
      '    dir: backups/site',
      '    paths: [www]',
      'drills:',
      '  site-dr:',
      '    backup: site',
      '    target: { host: host-2 }',
      "    schedule: '0 4 * * 0'",
      'certificates:',
      '  site:',
      '    environment: test',
      '    domains: [site.test]',
      `    endpoints: [{ host: host-1, port: ${tlsPort} }]`,
      '',
    ].join('\n');
    world = await startWorld('metrics', 4, {
      extra,
      environmentExtra: ['approval: { approvers: [alice], timeout: 1h }'],
    });
    chmodSync(world.dir, 0o755);
    const host1 = world.sandbox.hosts[0];
    mkdirSync(join(host1.dir, 'www'), { recursive: true });
    writeFileSync(join(host1.dir, 'www', 'index.html'), 'site\n');
    const caDir = join(world.dir, 'ca');
    const cert = makeTestCa(caDir).issue('site', {
      sans: ['site.test'],
      from: new Date(Date.now() - 86_400_000),
      until: new Date(Date.now() + 60 * 86_400_000),
    });
    chmodSync(caDir, 0o755);
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', `${world.sandbox.user}:`, caDir, join(host1.dir, 'www')]);
    }
    nginx = await startNginx({
      dir: host1.dir,
      address: host1.address,
      port: await freePort(),
      upstreamName: 'app',
      servers: ['127.0.0.1:9'],
      tls: [{ port: tlsPort, ...cert }],
    });
    // A drill the log remembers: backupStatus exports its RTO and RPO against the objectives.
    const drill: DrillRecord = {
      at: new Date().toISOString(),
      drill: 'site-dr',
      set: 'site',
      environment: 'test',
      target: 'host-2',
      workflowId: 'dr-drill:site-dr',
      runId: 'recorded',
      outcome: 'passed',
      rtoMs: 30_000,
      rpoMs: 3_600_000,
      objectives: { rtoMs: 600_000, rpoMs: 86_400_000 },
      met: true,
    };
    writeFileSync(drillLog, `${JSON.stringify(drill)}\n`);
    plain = await startWorld('nometrics', 1);
    [worker, quiet] = await Promise.all([spawnWorker(world), spawnWorker(plain)]);
    runway = await connectClient(world);
    prometheus = await startPrometheus({ dir, targets: [`127.0.0.1:${port}`], ruleFiles: [join(OPS, 'alerts.yml')] });
  }, 120_000);
  afterAll(async () => {
    await runway?.close();
    worker?.kill('SIGKILL');
    quiet?.kill('SIGKILL');
    await prometheus?.stop();
    await nginx?.stop();
    await Promise.all([world?.stop(), plain?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a worker with metrics off opens no port; one with metrics on listens only where configured', () => {
    expect(listeningPorts(quiet.pid!)).toEqual([]);
    expect(listeningPorts(worker.pid!)).toEqual([port]);
  });

  test('a worker whose metrics address is taken stops at start, saying which', async () => {
    const taken = await startWorld('metricstaken', 1, { extra: `metrics: { listen: 127.0.0.1:${port} }\n` });
    try {
      await expect(spawnWorker(taken)).rejects.toThrow(
        new RegExp(`metrics\\.listen 127\\.0\\.0\\.1:${port}: cannot serve metrics there: .*Address already in use`),
      );
    } finally {
      await taken.stop();
    }
  }, 60_000);

  test('run counters match the runs made, by outcome, and every label is bounded', async () => {
    const run = async (runbook: string, input: Record<string, unknown>) =>
      (await runway.wait(await runway.start(runbook, input))).status;
    const statuses = [
      await run('exec', { environment: 'test', command: 'true', hosts: ['host-1'] }),
      await run('exec', { environment: 'test', command: 'true', hosts: ['host-1'] }),
      await run('exec', { environment: 'test', command: 'true', hosts: ['host-1'] }),
      await run('exec', { environment: 'test', command: 'false', hosts: ['host-1'] }),
      await run('steps', {
        environment: 'test',
        hosts: ['host-1'],
        steps: [
          { name: 'make', run: 'true', undo: 'true' },
          { name: 'break', run: 'false' },
        ],
      }),
    ];
    expect(statuses).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed', 'failed']);
    // Started as the Temporal CLI would, refused by the worker's plan: counted, labelled by runbook only.
    const refused = await runway.client.workflow.start('exec', {
      taskQueue: world.taskQueue,
      workflowId: `exec:refused-${Date.now()}`,
      args: [{ environment: 'no-such-env', command: 'true' }],
    });
    await expect(refused.result()).rejects.toThrow();
    const ended = await waitFor(
      'Prometheus to scrape all 6 ended runs',
      async () => {
        const rows = await prometheus.query(`sum by (outcome) (${METRIC.runsEnded}_total)`);
        const total = rows.reduce((n, r) => n + r.value, 0);
        return total === 6 && rows;
      },
      30_000,
    );
    const byOutcome = Object.fromEntries(ended.map((r) => [r.metric.outcome, r.value]));
    expect(byOutcome).toEqual({ succeeded: 3, failed: 2, invalid: 1 });
    const started = await prometheus.query(`sum by (runbook, environment) (${METRIC.runsStarted}_total)`);
    expect(
      Object.fromEntries(started.map((r) => [`${r.metric.runbook}/${r.metric.environment ?? ''}`, r.value])),
    ).toEqual({ 'exec/test': 4, 'steps/test': 1, 'exec/': 1 });

    const rollbacks = await prometheus.query(`sum by (runbook, complete) (${METRIC.rollbacks}_total)`);
    expect(rollbacks.map((r) => [r.metric.runbook, r.metric.complete, r.value])).toEqual([['steps', 'true', 1]]);
    const commands = await prometheus.query(`sum by (outcome) (${METRIC.hostCommands}_total)`);
    expect(Object.fromEntries(commands.map((r) => [r.metric.outcome, r.value]))).toMatchObject({
      ok: expect.any(Number),
      'exit-nonzero': 2,
    });
    const steps = await prometheus.query(`sum by (outcome) (${METRIC.steps}_total)`);
    expect(Object.fromEntries(steps.map((r) => [r.metric.outcome, r.value])).failed).toBeGreaterThanOrEqual(2);
    const durations = await prometheus.query(`sum(${METRIC.runDuration}_count)`);
    expect(durations[0].value).toBe(6);

    // The SDK's own metrics come through the same endpoint.
    const sdk = await prometheus.query('count({__name__=~"temporal_.+"})');
    expect(sdk[0].value).toBeGreaterThan(10);
    // No label value anywhere is a run id, a version or what a caller typed.
    const series = await prometheus.query('{__name__=~"runway_.+"}');
    const values = series.flatMap((s) => Object.values(s.metric));
    expect(values.filter((v) => /no-such-env|[0-9a-f]{8}-[0-9a-f]{4}-/.test(v))).toEqual([]);
  }, 180_000);

  test('every dashboard query and alert expression is PromQL over metrics Runway or the SDK serves; those of the runs made return series', async () => {
    // Runs that feed the other panels: a backup taken and verified, the status (with the drill log), a certificate
    // check, a host whose key changed, and a host that is down.
    const run = async (runbook: string, input: Record<string, unknown>) =>
      (await runway.wait(await runway.start(runbook, input))).status;
    expect(await run('backup', { set: 'site' })).toBe('succeeded');
    expect(await run('backupVerify', { set: 'site' })).toBe('succeeded');
    expect(await run('backupStatus', {})).toBe('succeeded');
    expect(await run('certCheck', {})).toBe('succeeded');
    // A procedure waiting at its approval gate while Prometheus scrapes, then approved.
    const gated = await runway.start('steps', {
      environment: 'test',
      hosts: ['host-1'],
      steps: [{ name: 'restart after approval', run: 'true', approval: true }],
    });
    await waitFor('the gate gauge', async () => {
      const rows = await prometheus.query(`max(${METRIC.gateWaitingSince}) > 0`);
      return rows.length > 0;
    });
    const waiting = await prometheus.query(
      'time() - max by (runbook, environment, service) (runway_gate_waiting_since_timestamp_seconds) > 0 < time()',
    );
    expect(waiting.map((r) => r.metric.runbook)).toEqual(['steps']);
    await runway.decide(gated.workflowId, 'approve', 'alice');
    expect((await runway.wait(gated)).status).toBe('succeeded');
    await world.sandbox.rotateHostKey('host-3');
    expect(await run('exec', { environment: 'test', command: 'true', hosts: ['host-3'] })).toBe('failed');
    await world.sandbox.stopHost('host-4');
    expect(await run('exec', { environment: 'test', command: 'true', hosts: ['host-4'] })).toBe('failed');
    // A run whose Slack messages cannot be delivered (nothing answers the API URL); then Slack is off again.
    const config = readFileSync(world.configFile, 'utf8');
    writeFileSync(join(dir, 'slack-token'), 'xoxb-test\n');
    const slack = [
      'notify:',
      '  slack:',
      "    channel: '#ops'",
      `    token: { file: ${JSON.stringify(join(dir, 'slack-token'))} }`,
      `    apiUrl: http://127.0.0.1:${await freePort()}/api/`,
      '    deliveryWindow: 1s',
      '',
    ].join('\n');
    writeFileSync(world.configFile, config + slack);
    expect(await run('exec', { environment: 'test', command: 'true', hosts: ['host-1'] })).toBe('succeeded');
    writeFileSync(world.configFile, config);

    const dashboard = JSON.parse(readFileSync(join(OPS, 'grafana', 'dashboards', 'runway.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const alerts = parse(readFileSync(join(OPS, 'alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const queries = [
      ...dashboard.panels.flatMap((p) =>
        p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr, panel: true })),
      ),
      ...alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr, panel: false }))),
    ];
    const served = new Set(
      (await prometheus.query('count by (__name__) ({job="runway"})')).map((r) => r.metric.__name__),
    );
    const defined = new Set(
      Object.values(METRIC).flatMap((n) => [n, `${n}_total`, `${n}_bucket`, `${n}_count`, `${n}_sum`]),
    );
    const withData: string[] = [];
    for (const q of queries) {
      const names = [...new Set(q.expr.match(/\b(runway_\w+|temporal_\w+|up)\b(?!\s*\()/g) ?? [])];
      expect([q.where, names.filter((n) => n !== 'up' && !defined.has(n) && !served.has(n))]).toEqual([q.where, []]);
      await prometheus.query(q.expr); // throws on a PromQL error
      // Every metric the query reads has series (no typo'd name), once two scrapes have seen it.
      for (const name of names) {
        await waitFor(
          `${name} (${q.where}) to have series`,
          async () => (await prometheus.query(name)).length > 0,
          20_000,
        );
      }
      if (q.panel) {
        // increase() and rate() need two scrapes of a series: a few seconds after the runs.
        // The gate panel lists runs waiting now: none, once the one above was approved (it was checked while waiting).
        if (!/runway_gate_waiting/.test(q.expr))
          await waitFor(`${q.where} to return series`, async () => (await prometheus.query(q.expr)).length > 0, 20_000);
        withData.push(q.where);
      }
    }
    expect(withData.length).toBe(queries.filter((q) => q.panel).length);
    // The alert rules are loaded and evaluated by this Prometheus.
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const health = rules.data.groups.flatMap((g) => g.rules.map((r) => `${r.name} ${r.health}`));
    expect(health).toHaveLength(11);
    expect(health.filter((h) => !h.endsWith(' ok') && !h.endsWith(' unknown'))).toEqual([]);
  }, 180_000);
});
