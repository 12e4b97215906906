/**
 * The worker's /metrics endpoint as runs accumulate: its size (bytes, series) and the time one scrape takes, after 10
 * runs and after 500, on real sshd hosts: `npm run bench:metrics -- --runs 500`. Runs are a mix — exec that succeeds
 * on three hosts, exec that fails on one, steps that roll back — so every outcome label is there. Labels are bounded,
 * so the endpoint should stop growing once every label set has appeared; the ratio says whether it does.
 * Prints a Markdown table and writes `.runway/bench/metrics-<time>.json`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RunwayClient } from '../client/lib';
import { ensurePackages, ROOT, TEST_NEEDS } from '../sandbox/bootstrap';
import { sandboxConfigYaml } from '../sandbox/config';
import { startSandbox } from '../sandbox/hosts';
import { freePort } from '../sandbox/process';
import { startTestServer } from '../sandbox/test-server';
import { createRunwayWorker, installRuntime } from '../worker';
import { runBench, type Undo } from './cleanup';
import { machineFacts, writeJson } from './report';

const SSH_PORT = 2622;
const ENVIRONMENT = 'bench';

function options(): { runs: number } {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '500' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 20 || runs > 5000)
    throw new Error(`--runs: expected 20..5000, got ${values.runs}`);
  return { runs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Five scrapes: the size of the last, the median time. */
async function scrape(url: string): Promise<{ bytes: number; series: number; runwaySeries: number; ms: number }> {
  const times: number[] = [];
  let text = '';
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    text = await (await fetch(url)).text();
    times.push(performance.now() - started);
  }
  const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
  return {
    bytes: Buffer.byteLength(text),
    series: series.length,
    runwaySeries: series.filter((l) => l.startsWith('runway_')).length,
    ms: median(times),
  };
}

async function main(undo: Undo): Promise<void> {
  const { runs } = options();
  ensurePackages(TEST_NEEDS);
  const port = await freePort();
  installRuntime({ metricsListen: `127.0.0.1:${port}` });
  const env = await startTestServer();
  undo.push(() => env.teardown());
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-metrics-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await startSandbox({ dir: join(dir, 'hosts'), count: 3, port: SSH_PORT });
  undo.push(() => sandbox.stop());
  const configFile = join(dir, 'runway.yml');
  const extra = `temporal:\n  address: ${env.address}\naudit:\n  file: ${JSON.stringify(join(dir, 'audit.jsonl'))}\n`;
  writeFileSync(configFile, sandboxConfigYaml(sandbox, { environment: ENVIRONMENT, extra }));
  const { worker, pool } = await createRunwayWorker({ configFile, connection: env.nativeConnection });
  undo.push(() => pool.close());
  const url = `http://127.0.0.1:${port}/metrics`;

  const results = await worker.runUntil(async () => {
    const runway = await RunwayClient.connect({ configFile });
    try {
      const mix = [
        () => runway.start('exec', { environment: ENVIRONMENT, command: 'true' }),
        () => runway.start('exec', { environment: ENVIRONMENT, command: 'true' }),
        () => runway.start('exec', { environment: ENVIRONMENT, command: 'false', hosts: ['host-1'] }),
        () =>
          runway.start('steps', {
            environment: ENVIRONMENT,
            steps: [
              { name: 'make', run: 'true', undo: 'true' },
              { name: 'break', run: 'false' },
            ],
          }),
      ];
      let done = 0;
      const runMany = async (n: number) => {
        // Four at a time: the worker's slots, not the client, set the pace.
        for (let i = 0; i < n; i += 4) {
          const batch = Array.from({ length: Math.min(4, n - i) }, (_, j) => mix[(done + i + j) % mix.length]);
          await Promise.all(batch.map(async (start) => runway.wait(await start())));
        }
        done += n;
      };
      const started = performance.now();
      await runMany(10);
      await new Promise((r) => setTimeout(r, 1500));
      const after10 = { runs: 10, ...(await scrape(url)) };
      console.error(`after 10 runs: ${JSON.stringify(after10)}`);
      await runMany(runs - 10);
      await new Promise((r) => setTimeout(r, 1500));
      const afterN = { runs, ...(await scrape(url)) };
      console.error(
        `after ${runs} runs: ${JSON.stringify(afterN)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
      return [after10, afterN];
    } finally {
      await runway.close();
    }
  });

  const [a, b] = results;
  console.log(`\n## The worker's /metrics after 10 and after ${runs} runs (median of 5 scrapes)\n`);
  console.log('| runs | bytes | series | runway_ series | scrape ms |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of results)
    console.log(`| ${r.runs} | ${r.bytes} | ${r.series} | ${r.runwaySeries} | ${r.ms.toFixed(1)} |`);
  console.log(
    `| ×${(b.runs / a.runs).toFixed(0)} runs | ×${(b.bytes / a.bytes).toFixed(2)} | ×${(b.series / a.series).toFixed(2)} | ` +
      `×${(b.runwaySeries / a.runwaySeries).toFixed(2)} | ×${(b.ms / a.ms).toFixed(2)} |`,
  );
  const file = writeJson(join(ROOT, '.runway', 'bench'), 'metrics', {
    date: new Date().toISOString(),
    machine: machineFacts(),
    results,
  });
  console.log(`\nJSON: ${file}`);
}

runBench(main);
