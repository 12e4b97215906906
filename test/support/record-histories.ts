/**
 * Records the histories the replay test checks every runbook change against: `npm run record-histories`.
 * Runs the shipped runbooks for real (dev server, sshd hosts) and writes `test/histories/<name>.json`.
 * Re-record only on purpose: a history that stops replaying means runs in flight would break.
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

const RUNS: Array<{ name: string; runbook: string; input: Record<string, unknown>; cancelAfterMs?: number }> = [
  {
    name: 'exec-batches',
    runbook: 'exec',
    input: { environment: 'rec', role: 'web', command: 'echo $RUNWAY_HOST', batchSize: 2 },
  },
  {
    name: 'exec-failed',
    runbook: 'exec',
    input: { environment: 'rec', hosts: ['web-2'], command: 'echo no >&2; exit 4' },
  },
  {
    name: 'steps-rollback',
    runbook: 'steps',
    input: {
      environment: 'rec',
      role: 'web',
      steps: [
        { name: 'one', run: 'echo 1', undo: 'echo undo 1' },
        { name: 'two', run: 'echo 2', undo: 'echo undo 2' },
        { name: 'three', run: 'exit 1', undo: 'echo never' },
      ],
    },
  },
  {
    name: 'steps-cancelled',
    runbook: 'steps',
    cancelAfterMs: 2_500,
    input: {
      environment: 'rec',
      hosts: ['web-1'],
      steps: [
        { name: 'one', run: 'echo 1', undo: 'echo undo 1' },
        { name: 'wait', run: 'sleep 30', undo: 'echo undo wait' },
      ],
    },
  },
];

async function main(): Promise<void> {
  installRuntime();
  const env = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'runway-record-'));
  const sandbox = await startSandbox({
    dir: join(dir, 'hosts'),
    count: 3,
    names: ['web-1', 'web-2', 'web-3'],
  });
  const configFile = join(dir, 'runway.yml');
  writeFileSync(
    configFile,
    sandboxConfigYaml(sandbox, { environment: 'rec', extra: `temporal:\n  address: ${env.address}\n` }),
  );
  const { worker, pool } = await createRunwayWorker({ configFile, connection: env.nativeConnection });
  try {
    await worker.runUntil(async () => {
      const runway = await RunwayClient.connect({ configFile });
      for (const run of RUNS) {
        const handle = await runway.start(run.runbook, run.input, { workflowId: `record-${run.name}` });
        if (run.cancelAfterMs) setTimeout(() => void handle.cancel(), run.cancelAfterMs);
        const outcome = await runway.wait(handle);
        const events = await saveHistory(run.name, handle);
        console.log(`${run.name}: ${outcome.status} (${events} events)`);
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
