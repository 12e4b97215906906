/**
 * Records `test/histories/steps-slack-spaced.json`: quick steps with Slack on, so updates of the run's message wait
 * out the interval between them (workflow timers, the last one cut short by the end of the run), and a failing step
 * whose thread replies go out while an update waits: `npm run record-histories:slack`. Re-record only on purpose.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../sandbox/test-server';
import { RunwayClient } from '../../client/lib';
import { sandboxConfigYaml } from '../../sandbox/config';
import { startSandbox } from '../../sandbox/hosts';
import { createRunwayWorker, installRuntime } from '../../worker';
import { saveHistory } from './save-history';
import { startSlackServer } from './slack-server';

async function main(): Promise<void> {
  installRuntime();
  const env = await startTestServer();
  const slack = await startSlackServer({ channels: ['#ops'] });
  process.env.RUNWAY_RECORD_SLACK_TOKEN = slack.token;
  const dir = mkdtempSync(join(tmpdir(), 'runway-record-'));
  const sandbox = await startSandbox({ dir: join(dir, 'hosts'), count: 1, names: ['web-1'] });
  const configFile = join(dir, 'runway.yml');
  const extra =
    `temporal:\n  address: ${env.address}\n` +
    `notify:\n  slack: { channel: '#ops', token: { env: RUNWAY_RECORD_SLACK_TOKEN }, apiUrl: '${slack.url}' }\n`;
  writeFileSync(configFile, sandboxConfigYaml(sandbox, { environment: 'rec', extra }));
  const { worker, pool } = await createRunwayWorker({ configFile, connection: env.nativeConnection });
  try {
    await worker.runUntil(async () => {
      const runway = await RunwayClient.connect({ configFile });
      const steps = [1, 2, 3, 4].map((n) => ({ name: `step ${n}`, run: `echo ${n}`, undo: `echo undo ${n}` }));
      const input = { environment: 'rec', hosts: ['web-1'], steps: [...steps, { name: 'fails', run: 'exit 3' }] };
      const handle = await runway.start('steps', input, { workflowId: 'record-steps-slack-spaced' });
      const outcome = await runway.wait(handle);
      const events = await saveHistory('steps-slack-spaced', handle);
      const updates = slack.messages('#ops').map((m) => m.updates);
      console.log(`steps-slack-spaced: ${outcome.status} (${events} events; message updates ${updates.join(', ')})`);
      await runway.close();
    });
  } finally {
    pool.close();
    await sandbox.stop();
    await slack.stop();
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
