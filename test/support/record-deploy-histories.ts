/**
 * Records the deploy histories the replay test checks runbook changes against: `npm run record-histories:deploy`.
 * Blue-green (with Slack and an approval gate), rolling, rollback, and the Slack delivery workflow — run for real on
 * sandbox hosts behind nginx, against an ephemeral server. Re-record only on purpose.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ROOT } from '../../sandbox/bootstrap';
import { startTestServer } from '../../sandbox/test-server';
import { bundleRunbooks } from '../../worker';
import { startDeployWorld, type DeployWorld } from './deploy-world';
import { waitFor } from './harness';
import { saveHistory } from './save-history';
import { startSlackServer } from './slack-server';

async function save(name: string, handle: WorkflowHandle): Promise<void> {
  console.log(`${name}: ${await saveHistory(name, handle)} events`);
}

async function run(w: DeployWorld, runbook: string, input: Record<string, unknown>, approve: boolean) {
  const handle = await w.runway.start(runbook, { environment: 'test', service: 'app', actor: 'recorder', ...input });
  if (approve) {
    await waitFor('the gate', async () => (await w.runway.progress(handle))?.status === 'awaiting-approval', 60_000);
    await w.runway.decide(handle.workflowId, 'approve', 'alice');
  }
  const outcome = await w.runway.wait(handle);
  if (outcome.exitCode !== 0) throw new Error(`${runbook} ${outcome.status}: ${outcome.message}`);
  return { handle, outcome };
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, '.runway', 'record'), { recursive: true });
  const env = await startTestServer();
  process.env.RUNWAY_TEST_TEMPORAL = env.address;
  const bundle = join(ROOT, '.runway', 'record', 'bundle.js');
  writeFileSync(bundle, (await bundleRunbooks()).code);
  process.env.RUNWAY_TEST_BUNDLE = bundle;
  const slack = await startSlackServer({ channels: ['#deploys'] });
  process.env.RUNWAY_RECORD_SLACK_TOKEN = slack.token;
  const slackYaml = `notify:\n  slack:\n    channel: "#deploys"\n    token: { env: RUNWAY_RECORD_SLACK_TOKEN }\n    apiUrl: ${slack.url}\n    deliveryWindow: 30s\n`;
  const blueGreen = await startDeployWorld('record-bg', {
    web: 2,
    lbPort: 18088,
    service: { strategy: 'blue-green', ports: { blue: 18091, green: 18092 }, drainWait: '300ms' },
    environmentExtra: ['approval: { approvers: [alice], timeout: 5m }'],
    extra: slackYaml,
  });
  const rolling = await startDeployWorld('record-rolling', {
    web: 3,
    lbPort: 18089,
    service: { strategy: 'rolling', ports: 18093, batchSize: 1 },
  });
  try {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await blueGreen.build(v);
    await run(blueGreen, 'deploy', { version: '1.0.0' }, true);
    await save('deploy-blue-green', (await run(blueGreen, 'deploy', { version: '1.1.0' }, true)).handle);
    await save('rollback-blue-green', (await run(blueGreen, 'rollback', {}, true)).handle);
    slack.setMode('error');
    const { outcome } = await run(blueGreen, 'deployBlueGreen', { version: '1.2.0' }, true);
    await save('deploy-blue-green-type', blueGreen.runway.handle(outcome.report!.workflowId, outcome.report!.runId));
    slack.setMode('ok');
    const delivery = blueGreen.runway.handle(outcome.report!.notifications!.retriedBy!);
    await delivery.result();
    await save('deliver-notifications', delivery);
    for (const v of ['2.0.0', '2.1.0', '2.2.0']) await rolling.build(v);
    await run(rolling, 'deploy', { version: '2.0.0' }, false);
    await save('deploy-rolling', (await run(rolling, 'deploy', { version: '2.1.0' }, false)).handle);
    await save('deploy-rolling-type', (await run(rolling, 'deployRolling', { version: '2.2.0' }, false)).handle);
    await save('rollback-rolling', (await run(rolling, 'rollback', {}, false)).handle);
  } finally {
    await blueGreen.stop();
    await rolling.stop();
    await slack.stop();
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
