import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { RunReport } from '../workflows';
import { batches, mapLimit } from '../workflows/pool';
import type { ExecRequest, ExecResult, HostRef, Plan } from '../core/plan';
import { temporalAddress } from './support/harness';

describe('mapLimit and batches (pure)', () => {
  it.each([
    [5, 2, [[0, 1], [2, 3], [4]]],
    [5, '40%', [[0, 1], [2, 3], [4]]],
    [3, '10%', [[0], [1], [2]]],
    [4, '100%', [[0, 1, 2, 3]]],
  ])('batches(%d hosts, %s)', (count, size, expected) => {
    expect(batches([...Array(count).keys()], size)).toEqual(expected);
  });

  it('refuses nonsense batch sizes', () => {
    expect(() => batches([1], 0)).toThrow(/whole number/);
    expect(() => batches([1], '0%')).toThrow(/percentage/);
    expect(() => batches([1], 'ten')).toThrow(/percentage/);
  });

  it('never runs more than the limit at once, and with stopOnError skips what had not started', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimit(
      [...Array(8).keys()],
      3,
      async (i) => {
        if (i === 1) throw new Error('boom');
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return i;
      },
      true,
    );
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  it('keeps `limit` running at once', async () => {
    let running = 0;
    let peak = 0;
    await mapLimit([...Array(10).keys()], 3, async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    expect(peak).toBe(3);
  });

  it('stopWhen: a value that counts as failure stops new starts too', async () => {
    const results = await mapLimit([0, 1, 2, 3], 1, async (i) => i, { stopWhen: (v) => v === 1 });
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'skipped', 'skipped']);
  });
});

/**
 * Orchestration in isolation: the real exec runbook on the real dev server, with a typed fake of the activities that
 * records when each host's command runs — bounded concurrency, batch order, fail-fast between batches.
 */
describe('fan-out through the engine (typed fake activities)', () => {
  const hosts: HostRef[] = Array.from({ length: 6 }, (_, i) => ({
    name: `h${i + 1}`,
    address: `10.0.0.${i + 1}`,
    port: 22,
    user: 'deploy',
    roles: ['web'],
    dir: '.',
    journalDir: '.runway/journal',
  }));
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const failOn = new Set<string>();

  const fake: Activities = {
    async resolvePlan({ runbook, input }) {
      const i = input as { environment: string; batchSize?: number | string; command: string };
      if (i.environment !== 'fake')
        throw ApplicationFailure.nonRetryable('input.environment: unknown environment', 'InvalidInput');
      const plan: Plan = {
        runbook,
        environment: 'fake',
        hosts,
        concurrency: 2,
        namespace: 'default',
        input: { ...i, batchSize: i.batchSize ?? '100%' },
        timing: {
          heartbeatTimeout: 10_000,
          commandTimeout: 60_000,
          retry: { attempts: 1, initialInterval: 100, maxInterval: 100 },
        },
      };
      return plan;
    },
    async sshExec({ host, command }: ExecRequest): Promise<ExecResult> {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${host.name}`);
      // A failing host answers at once, so its failure is known before any other host could finish and start another.
      await new Promise((r) => setTimeout(r, failOn.has(host.name) ? 0 : 50));
      log.push(`end ${host.name}`);
      running--;
      const exitCode = failOn.has(host.name) ? 1 : 0;
      return {
        host: host.name,
        exitCode,
        stdout: `${command} on ${host.name}\n`,
        stderr: '',
        stdoutBytes: 0,
        stderrBytes: 0,
        durationMs: 50,
        reattached: false,
      };
    },
    sshUpload: async () => {
      throw new Error('not used');
    },
    httpProbe: async () => {
      throw new Error('not used');
    },
    slackSend: async () => {
      throw new Error('not used');
    },
    audit: async () => 'audit.jsonl',
    sshTransfer: async () => {
      throw new Error('not used');
    },
    drillLog: async () => 'drills.jsonl',
    drillHistory: async () => [],
    tlsProbe: async () => {
      throw new Error('not used');
    },
    acmeRenewalInfo: async () => {
      throw new Error('not used');
    },
    acmeOrder: async () => {
      throw new Error('not used');
    },
    acmeFinalize: async () => {
      throw new Error('not used');
    },
  };

  let worker: Worker;
  let running$: Promise<void>;
  let connection: Connection;
  let client: Client;
  const taskQueue = `fanout-${Date.now()}`;

  beforeAll(async () => {
    const native = await NativeConnection.connect({ address: temporalAddress() });
    worker = await Worker.create({
      connection: native,
      taskQueue,
      activities: fake,
      workflowBundle: { codePath: process.env.RUNWAY_TEST_BUNDLE! },
    });
    running$ = worker.run();
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
  });
  afterAll(async () => {
    worker?.shutdown();
    await running$;
    await connection?.close();
  });
  beforeEach(() => {
    log.length = 0;
    peak = 0;
    failOn.clear();
  });

  const exec = (input: Record<string, unknown>) =>
    client.workflow.execute('exec', {
      taskQueue,
      workflowId: `fanout-${Math.random()}`,
      args: [{ environment: 'fake', role: 'web', command: 'x', ...input }],
    }) as Promise<RunReport>;

  it('runs one command on every host with at most `concurrency` at once, results per host', async () => {
    const report = await exec({});
    expect(peak).toBe(2);
    expect(Object.keys(report.steps[0].hosts)).toEqual(hosts.map((h) => h.name));
    expect(report.steps[0].hosts.h4.stdoutTail).toBe('x on h4\n');
  });

  it('runs batches one after another', async () => {
    const report = await exec({ batchSize: 3 });
    expect(report.steps.map((s) => s.name)).toEqual(['batch 1/2', 'batch 2/2']);
    const lastEndOfFirst = Math.max(...['h1', 'h2', 'h3'].map((h) => log.indexOf(`end ${h}`)));
    const firstStartOfSecond = Math.min(...['h4', 'h5', 'h6'].map((h) => log.indexOf(`start ${h}`)));
    expect(lastEndOfFirst).toBeLessThan(firstStartOfSecond);
  });

  it('a failing host stops the run before the next batch; hosts not started are marked skipped', async () => {
    failOn.add('h1');
    const failure = await exec({ batchSize: 3 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const report = ((failure as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as RunReport;
    expect(report.status).toBe('failed');
    expect(report.steps).toHaveLength(1);
    expect(report.steps[0].hosts.h1).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(report.steps[0].hosts.h3.status).toBe('skipped');
    expect(log.some((l) => l.includes('h4'))).toBe(false);
  });

  it('an unknown environment ends the run invalid (exit 2) before any command', async () => {
    const failure = await client.workflow
      .execute('exec', {
        taskQueue,
        workflowId: `fanout-bad-${Math.random()}`,
        args: [{ environment: 'nope', role: 'web', command: 'x' }],
      })
      .catch((e: unknown) => e);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');
    expect(log).toEqual([]);
  });
});
