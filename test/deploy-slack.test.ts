import { Client, Connection } from '@temporalio/client';
import type { DeliveryReport } from '../workflows/deliver-notifications';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { temporalAddress, waitFor } from './support/harness';
import { startSlackServer, type SlackServer } from './support/slack-server';

/** Slack notifications of deploys, against the local stand-in for the Slack Web API. */
describe('Slack notifications', () => {
  let w: DeployWorld;
  let slack: SlackServer;
  let n = 0;
  beforeAll(async () => {
    slack = await startSlackServer({ channels: ['#deploys'] });
    process.env.RUNWAY_TEST_SLACK_TOKEN = slack.token;
    w = await startDeployWorld('slack', {
      web: 2,
      lbPort: 18086,
      service: {
        strategy: 'blue-green',
        ports: { blue: 18061, green: 18062 },
        healthTimeout: '3s',
        drainWait: '200ms',
      },
      extra: [
        'notify:',
        '  slack:',
        '    channel: "#deploys"',
        '    token: { env: RUNWAY_TEST_SLACK_TOKEN }',
        `    apiUrl: ${slack.url}`,
        '    deliveryWindow: 8s',
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await w?.stop();
    await slack?.stop();
  });

  async function deploy(opts: { failHealth?: boolean } = {}) {
    const version = `5.${++n}.0`;
    await w.build(version, opts);
    const handle = await w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'ci-bot' });
    return { version, handle, outcome: await w.runway.wait(handle) };
  }
  const messageOf = (version: string) => slack.messages('#deploys').find((m) => m.text.includes(`app ${version}`));
  const allText = () => JSON.stringify([slack.messages(), ...slack.messages().map((m) => slack.replies(m.ts))]);

  it('one message per run, updated in place, with runbook, service, version, environment, actor, status and a link', async () => {
    const { version, outcome } = await deploy();
    expect(outcome.exitCode).toBe(0);
    const mine = slack.messages('#deploys').filter((m) => m.text.includes(`app ${version}`));
    expect(mine).toHaveLength(1);
    const [message] = mine;
    expect(message.updates).toBeGreaterThan(1);
    expect(message.text).toContain('succeeded');
    const blocks = JSON.stringify(message.blocks);
    for (const text of [
      '*Runbook*\\ndeploy',
      '*Service*\\napp',
      `*Version*\\n${version}`,
      '*Environment*\\ntest',
      '*Actor*\\nci-bot',
    ]) {
      expect(blocks).toContain(text);
    }
    expect(blocks).toContain('switch traffic to');
    expect(blocks).toContain(outcome.report!.workflowId);
    expect(slack.replies(message.ts)).toEqual([]);
    expect(allText()).not.toContain(slack.token);
  });

  it('a failed deploy gets thread replies for the failure and the rollback', async () => {
    const { version, outcome } = await deploy({ failHealth: true });
    expect(outcome.exitCode).toBe(1);
    const message = messageOf(version)!;
    expect(message.text).toContain('failed');
    const replies = slack.replies(message.ts).map((r) => r.text);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatch(/^❌ deploy failed: .*not healthy.* — rolling back$/);
    expect(replies[1]).toMatch(/^↩️ rolled back \d+ steps?$/);
  });

  it('Slack down for the whole run (429s, errors, 500s): the deploy succeeds on time; its messages arrive after Slack recovers', async () => {
    slack.setMode('down');
    const from = slack.calls.length;
    const started = Date.now();
    const { version, outcome } = await deploy();
    const answered = new Set(slack.calls.slice(from).map((c) => c.mode));
    expect([...answered].sort()).toEqual(['error', 'http500', 'ratelimit']);
    expect(outcome.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(messageOf(version)).toBeUndefined();
    expect(outcome.report?.notifications?.undelivered).toEqual([expect.stringContaining(`app ${version}`)]);
    const retriedBy = outcome.report!.notifications!.retriedBy!;
    expect(retriedBy).toBe(`notify:${outcome.report!.workflowId}:${outcome.report!.runId}`);
    slack.setMode('ok');
    const delivered = await waitFor('the message after Slack recovers', () => messageOf(version), 20_000);
    expect(delivered.text).toContain('succeeded');
    const report = await deliveryReport(retriedBy);
    expect(report.undelivered).toEqual([]);
    expect(report.delivered).toEqual([expect.stringContaining(`app ${version}`)]);
  });

  it('Slack that never answers: the deploy is held only briefly; what never arrives is listed as undelivered', async () => {
    slack.setMode('hang');
    const started = Date.now();
    const { version, outcome } = await deploy();
    expect(outcome.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(45_000);
    const retriedBy = outcome.report!.notifications!.retriedBy!;
    const report = await deliveryReport(retriedBy);
    expect(report.delivered).toEqual([]);
    expect(report.undelivered).toEqual([expect.stringContaining(`app ${version}`)]);
    slack.setMode('ok');
  });

  async function deliveryReport(workflowId: string): Promise<DeliveryReport> {
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      return (await new Client({ connection }).workflow.getHandle(workflowId).result()) as DeliveryReport;
    } finally {
      await connection.close();
    }
  }
});
