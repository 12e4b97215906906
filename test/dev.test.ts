import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../sandbox/bootstrap';
import { accepts } from '../sandbox/process';
import { runCli, startWorld, waitFor, type TestWorld } from './support/harness';

/**
 * `runway dev` as a newcomer uses it: the embedded dev server (SQLite file, Web UI, search attributes) plus a worker;
 * a run shows in the Web UI with its search attributes; Ctrl-C stops both cleanly; runs survive a restart.
 */
describe('runway dev', () => {
  let world: TestWorld;
  let configFile: string;
  const port = 17233 + Math.floor(Math.random() * 500);
  const uiPort = port + 1000;

  beforeAll(async () => {
    world = await startWorld('dev', 1, { names: ['web-1'] });
    // The same hosts, but Temporal embedded: a config of its own with the dev server on free ports.
    configFile = join(mkdtempSync(join(tmpdir(), 'runway-devcfg-')), 'runway.yml');
    const text = readFileSync(world.configFile, 'utf8').replace(/^temporal:[\s\S]*$/m, '');
    writeFileSync(configFile, text);
    appendFileSync(
      configFile,
      `temporal:\n  devServer: { port: ${port}, uiPort: ${uiPort}, dbFile: ${join(world.dir, 'temporal.db')} }\n`,
    );
  });
  afterAll(async () => {
    await world?.stop();
  });

  function startDev(): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(join(ROOT, 'bin', 'runway'), ['dev', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return waitFor(
      'runway dev to poll',
      () => output.includes('worker polling') && { child, output: () => output },
      90_000,
    );
  }

  async function interrupt(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    return exited;
  }

  it('serves the Web UI, runs exec, shows the run with its search attributes, and stops cleanly on Ctrl-C', async () => {
    const dev = await startDev();
    let workflowId = '';
    try {
      expect(dev.output()).toContain(`Web UI http://localhost:${uiPort}`);
      const ui = await fetch(`http://localhost:${uiPort}/`);
      expect(ui.status).toBe(200);

      const result = await runCli([
        '-c',
        configFile,
        'exec',
        '-e',
        'test',
        '-r',
        'web',
        '--json',
        '--',
        'echo',
        'hello',
      ]);
      expect(result.code).toBe(0);
      const { report } = JSON.parse(result.stdout);
      workflowId = report.workflowId;
      expect(report.url).toBe(
        `http://localhost:${uiPort}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${report.runId}/history`,
      );

      // The Web UI's own API lists the run by its search attributes.
      const query = encodeURIComponent(
        `RunwayRunbook="exec" AND RunwayStatus="succeeded" AND WorkflowId="${workflowId}"`,
      );
      const listed = await waitFor('the run in the Web UI', async () => {
        const res = await fetch(`http://localhost:${uiPort}/api/v1/namespaces/default/workflows?query=${query}`);
        const body = (await res.json()) as {
          executions?: Array<{ execution: { workflowId: string }; searchAttributes?: unknown }>;
        };
        return body.executions?.length ? body.executions : undefined;
      });
      expect(listed[0].execution.workflowId).toBe(workflowId);
      expect(JSON.stringify(listed[0].searchAttributes)).toContain('RunwayEnvironment');
    } finally {
      expect(await interrupt(dev.child)).toBe(0);
    }
    expect(dev.output()).toContain('stopped');
    expect(await accepts('127.0.0.1', port)).toBe(false);
    expect(await accepts('127.0.0.1', uiPort)).toBe(false);

    // The SQLite file keeps the run across a restart.
    const again = await startDev();
    try {
      const status = await runCli(['-c', configFile, 'status', workflowId]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('exec succeeded');
    } finally {
      expect(await interrupt(again.child)).toBe(0);
    }
  });
});
