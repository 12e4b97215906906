import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config';
import { createRunwayWorker } from '../../worker';
import { ensurePackages, ensureTemporal, ROOT, TEST_NEEDS } from '../bootstrap';
import { follow } from '../follow';
import { RunwayClient } from '../lib';
import { renderOutputs } from '../render';
import { sandboxConfigYaml } from '../sandbox/config';
import { startSandbox } from '../sandbox/hosts';
import { printOutcome } from './common';
import { quietRuntime, startEmbedded } from './dev';

/**
 * The README's main command: the embedded dev server and a worker, three local sshd hosts on 127.0.0.x, and the exec
 * runbook across them in batches of one — then the run's Web UI link. Stays up (for the UI) until Ctrl-C.
 */
export async function demo(opts: { exit?: boolean }): Promise<number> {
  ensurePackages(TEST_NEEDS);
  ensureTemporal();
  quietRuntime();
  const dir = join(ROOT, '.runway', 'demo');
  mkdirSync(dir, { recursive: true });
  const sandbox = await startSandbox({ dir: join(dir, 'hosts'), count: 3, names: ['web-1', 'web-2', 'web-3'] });
  console.log(`3 sandbox hosts: ${sandbox.hosts.map((h) => `${h.name} ${h.address}:${h.port}`).join(', ')}`);
  const configFile = join(dir, 'runway.yml');
  const temporal = `temporal:\n  devServer: { dbFile: ${JSON.stringify(join(ROOT, '.runway', 'temporal.db'))} }\n`;
  writeFileSync(configFile, sandboxConfigYaml(sandbox, { environment: 'demo', extra: temporal }));
  const loaded = loadConfig(configFile);
  const server = await startEmbedded(loaded);
  console.log(`Temporal dev server on ${server?.address} — Web UI ${server?.uiUrl}`);
  const { worker, pool } = await createRunwayWorker({ configFile });
  const running = worker.run();
  try {
    const runway = await RunwayClient.connect({ loaded });
    const handle = await runway.start('exec', {
      environment: 'demo',
      role: 'web',
      command: 'echo "hello from $RUNWAY_HOST"; uptime',
      batchSize: 1,
    });
    const outcome = await follow(runway, handle);
    if (outcome.report) console.log(renderOutputs(outcome.report).join('\n'));
    printOutcome(outcome, false, runway.link(handle.workflowId, handle.firstExecutionRunId));
    await runway.close();
    if (!opts.exit) {
      console.log('\nThe Web UI stays up; search it with: RunwayRunbook="exec". Ctrl-C stops everything.');
      await running; // the SDK runtime shuts the worker down on SIGINT/SIGTERM
    }
    return outcome.exitCode;
  } finally {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    pool.close();
    await server?.stop();
    await sandbox.stop();
  }
}
