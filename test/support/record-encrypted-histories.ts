/**
 * Records the encrypted histories the replay test replays with the test key (test/fixtures/payload-key-k1.b64):
 * `node --import tsx test/support/record-encrypted-histories.ts`. An exec whose output is sealed, and a failed one
 * whose failure message is — on real sandbox hosts, against an ephemeral server. Re-record only on purpose.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunwayClient } from '../../client/lib';
import { sandboxConfigYaml } from '../../sandbox/config';
import { startSandbox } from '../../sandbox/hosts';
import { startTestServer } from '../../sandbox/test-server';
import { createRunwayWorker, installRuntime } from '../../worker';
import { TEST_KEY_FILE } from './encryption';
import { HISTORIES, saveHistory } from './save-history';

const RUNS = [
  { name: 'encrypted/exec', command: 'echo sealed output on $RUNWAY_HOST' },
  { name: 'encrypted/exec-failed', command: 'echo sealed stderr >&2; exit 3' },
];

async function main(): Promise<void> {
  installRuntime();
  const env = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'runway-record-encrypted-'));
  const sandbox = await startSandbox({ dir: join(dir, 'hosts'), count: 2, names: ['web-1', 'web-2'] });
  const configFile = join(dir, 'runway.yml');
  const encryption = `  encryption:\n    keyId: k1\n    keys: { k1: { file: ${TEST_KEY_FILE} } }\n`;
  const extra = `temporal:\n  address: ${env.address}\n${encryption}`;
  writeFileSync(configFile, sandboxConfigYaml(sandbox, { environment: 'rec', extra }));
  mkdirSync(join(HISTORIES, 'encrypted'), { recursive: true });
  // No bundle given: the worker bundles the runbooks with the encrypting failure converter, as `runway worker` does.
  const { worker, pool } = await createRunwayWorker({ configFile, connection: env.nativeConnection });
  try {
    await worker.runUntil(async () => {
      const runway = await RunwayClient.connect({ configFile });
      for (const run of RUNS) {
        const input = { environment: 'rec', role: 'web', command: run.command, actor: 'recorder' };
        const handle = await runway.start('exec', input, { workflowId: `record-${run.name.replace('/', '-')}` });
        const outcome = await runway.wait(handle);
        console.log(`${run.name}: ${outcome.status} (${await saveHistory(run.name, handle)} events)`);
      }
      await runway.close();
    });
  } finally {
    pool.close();
    await sandbox.stop();
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
