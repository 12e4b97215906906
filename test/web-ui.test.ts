import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunwayClient } from '../client/lib';
import { ensureTemporal } from '../sandbox/bootstrap';
import { startDevServer, type DevServer } from '../sandbox/dev-server';
import { freePort } from '../sandbox/process';
import { spawnWorker, startWorld, temporalAddress, type TestWorld } from './support/harness';

/** The page's text as headless Chromium renders it (the Web UI is a single-page app: scripts run, then the DOM). */
function renderedText(url: string): string {
  const run = spawnSync(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=20000', '--dump-dom', url],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`chromium failed (${run.status}): ${run.stderr.slice(-1000)}`);
  return run.stdout
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

/**
 * What a person sees in the dev server's Web UI: a run's page names the run (its summary: runbook, environment,
 * actor) and each activity's step and host — rendered by headless Chromium from the real UI of a real dev server.
 */
describe('the Web UI shows what a run is and what each activity did', () => {
  let server: DevServer;
  let world: TestWorld;
  let worker: ChildProcess | undefined;
  let runway: RunwayClient;
  const dir = mkdtempSync(join(tmpdir(), 'runway-webui-'));

  beforeAll(async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    server = await startDevServer({
      binary: ensureTemporal(),
      dbFile: join(dir, 'temporal.db'),
      port,
      uiPort,
      namespace: 'default',
    });
    world = await startWorld('webui', 2, { names: ['web-1', 'web-2'] });
    const config = readFileSync(world.configFile, 'utf8').replace(
      `address: ${temporalAddress()}`,
      `address: ${server.address}`,
    );
    writeFileSync(world.configFile, config.replace('uiUrl: http://localhost:8233', `uiUrl: ${server.uiUrl}`));
    worker = await spawnWorker(world);
    runway = await RunwayClient.connect({ configFile: world.configFile });
  }, 120_000);
  afterAll(async () => {
    await runway?.close();
    worker?.kill('SIGKILL');
    await world?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the run page shows the run summary and the step and host of its commands', async () => {
    const handle = await runway.start('exec', {
      environment: 'test',
      command: 'echo hi',
      batchSize: 1,
      actor: 'alice',
    });
    const outcome = await runway.wait(handle);
    expect(outcome.status).toBe('succeeded');
    const url = `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`;
    const text = renderedText(url);
    expect(text).toContain('exec → test · by alice');
    expect(text).toContain('batch 1/2 · web-1');
    expect(text).toContain('batch 2/2 · web-2');
  }, 180_000);
});
