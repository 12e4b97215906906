import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { runCli, waitFor } from './support/harness';
import { historyText } from './support/history';
import { startSlackServer, type SlackServer } from './support/slack-server';

/** Approval gates: production-like environment where deploys wait for alice or bob before traffic moves. */
describe('approval gate', () => {
  let w: DeployWorld;
  let slack: SlackServer;
  beforeAll(async () => {
    slack = await startSlackServer({ channels: ['#deploys'] });
    process.env.RUNWAY_TEST_APPROVAL_SLACK = slack.token;
    w = await startDeployWorld('approval', {
      web: 2,
      lbPort: 18085,
      service: {
        strategy: 'blue-green',
        ports: { blue: 18051, green: 18052 },
        healthTimeout: '5s',
        drainWait: '200ms',
      },
      environmentExtra: ['approval: { approvers: [alice, bob], timeout: 6s }'],
      extra: `notify:\n  slack: { channel: "#deploys", token: { env: RUNWAY_TEST_APPROVAL_SLACK }, apiUrl: "${slack.url}" }\n`,
    });
  });
  afterAll(async () => {
    await w?.stop();
    await slack?.stop();
  });

  const cli = (...args: string[]) => runCli(['-c', w.world.configFile, ...args]);
  const served = async () => (await (await fetch(w.nginx.url)).text()).trim();
  async function startDeploy(version: string) {
    await w.build(version);
    const handle = await w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'ci' });
    await waitFor('the approval gate', async () => (await w.runway.progress(handle))?.status === 'awaiting-approval');
    return handle;
  }
  const auditLines = () =>
    readFileSync(join(w.world.dir, '.runway', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('an approver proceeds; anyone else is refused with the reason; the approval is recorded', async () => {
    const handle = await startDeploy('1.0.0');
    const refused = await cli('approve', handle.workflowId, '--as', 'mallory');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('mallory may not decide "switch app to 1.0.0" (approvers: alice, bob)');
    expect((await w.runway.progress(handle))?.status).toBe('awaiting-approval');
    const approved = await cli('approve', handle.workflowId, '--as', 'alice', '--reason', 'change 42');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('switch app to 1.0.0: approved by alice');
    const outcome = await w.runway.wait(handle);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.report?.approvals).toMatchObject([{ decision: 'approved', by: 'alice', reason: 'change 42' }]);
    expect(await served()).toBe('version=1.0.0');
    // Slack: the request for approval and the decision, in the run message's thread.
    const message = slack.messages('#deploys').find((m) => m.text.includes('app 1.0.0'))!;
    expect(slack.replies(message.ts).map((r) => r.text)).toEqual([
      '✋ approval needed for "switch app to 1.0.0": `runway approve deploy:test:app --as <name>` (approvers: alice, bob)',
      '👍 "switch app to 1.0.0" approved by alice',
    ]);
    // The history holds the update with who approved; the audit log holds the decision beside the outcome.
    const events = (await handle.fetchHistory()).events ?? [];
    const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const input = historyText({ events: accepted ? [accepted] : [] });
    expect(input).toContain('"by":"alice"');
    expect(input).toContain('"reason":"change 42"');
    expect(auditLines().find((l) => l.runId === outcome.report?.runId)).toMatchObject({
      status: 'succeeded',
      approvals: [{ decision: 'approved', by: 'alice' }],
    });
  });

  it('a rejection rolls back and exits 4; the old release keeps serving', async () => {
    const handle = await startDeploy('1.1.0');
    const rejected = await cli('reject', handle.workflowId, '--as', 'bob', '--reason', 'not today');
    expect(rejected.code).toBe(0);
    const followed = await cli('follow', handle.workflowId);
    expect(followed.code).toBe(4);
    expect(followed.stderr).toContain('"switch app to 1.1.0" rejected by bob: not today');
    expect(await served()).toBe('version=1.0.0');
  });

  it('no decision in time rejects and rolls back; approving a run that is not waiting is refused', async () => {
    const handle = await startDeploy('1.2.0');
    const outcome = await w.runway.wait(handle);
    expect(outcome.exitCode).toBe(4);
    expect(outcome.status).toBe('rejected');
    expect(outcome.report?.approvals).toMatchObject([{ decision: 'timed-out' }]);
    expect(await served()).toBe('version=1.0.0');
    const late = await cli('approve', handle.workflowId, '--as', 'alice');
    expect(late.code).toBe(2);
  });
});
