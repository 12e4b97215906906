import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunwayClient } from '../client/lib';
import { ROOT } from '../sandbox/bootstrap';
import { freePort } from '../sandbox/process';
import { Browser, type Page } from './support/browser';
import { TEST_KEY_FILE } from './support/encryption';
import { startWorld, waitFor, type TestWorld } from './support/harness';

const TOKEN = randomBytes(24).toString('hex');

/**
 * `runway dev` with encryption and a codec server, as an operator uses it: the dev server's Web UI is given the codec
 * endpoint; a browser that has not logged in sees no run summary in clear, one that logged in with the token (and
 * turned on "Include cross-origin credentials" in the UI's codec settings) reads it — in real headless Chromium.
 */
describe('the Web UI reads encrypted runs through runway codec-server', () => {
  let world: TestWorld;
  let configFile: string;
  let dev: ChildProcess;
  let output = '';
  let ports: { port: number; uiPort: number; codec: number };

  beforeAll(async () => {
    ports = { port: await freePort(), uiPort: await freePort(), codec: await freePort() };
    world = await startWorld('codecui', 1, { names: ['web-1'] });
    configFile = join(mkdtempSync(join(tmpdir(), 'runway-codecui-')), 'runway.yml');
    writeFileSync(configFile, readFileSync(world.configFile, 'utf8').replace(/^temporal:[\s\S]*$/m, ''));
    appendFileSync(
      configFile,
      [
        'temporal:',
        `  devServer: { port: ${ports.port}, uiPort: ${ports.uiPort}, dbFile: ${join(world.dir, 'temporal.db')} }`,
        '  encryption:',
        '    keyId: k1',
        `    keys: { k1: { file: ${TEST_KEY_FILE} } }`,
        `    codecServer: { listen: 127.0.0.1:${ports.codec}, token: { env: RUNWAY_TEST_CODEC_TOKEN } }`,
        '',
      ].join('\n'),
    );
    dev = spawn(join(ROOT, 'bin', 'runway'), ['dev', '-c', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUNWAY_TEST_CODEC_TOKEN: TOKEN, TEMPORAL_ADDRESS: '' },
    });
    dev.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    dev.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      'runway dev to poll',
      () => {
        if (dev.exitCode !== null) throw new Error(`runway dev exited ${dev.exitCode}: ${output}`);
        return output.includes('worker polling');
      },
      120_000,
    );
  }, 180_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      dev.kill('SIGINT');
      await exited;
    }
    await world?.stop();
  });

  it('gives the Web UI the codec endpoint, and shows the run in clear only to a browser logged in with the token', async () => {
    const endpoint = `http://localhost:${ports.codec}`;
    expect(output).toContain(`codec server on ${endpoint}`);
    const settings = (await (await fetch(`http://localhost:${ports.uiPort}/api/v1/settings`)).json()) as {
      Codec: { Endpoint: string };
    };
    expect(settings.Codec.Endpoint).toBe(endpoint);

    const runway = await RunwayClient.connect({ configFile });
    const handle = await runway.start('exec', { environment: 'test', command: 'echo hi', actor: 'alice' });
    expect((await runway.wait(handle)).status).toBe('succeeded');
    await runway.close();
    const summary = 'exec → test · by alice';
    const runPage = `http://localhost:${ports.uiPort}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`;

    const browser = Browser.launch();
    try {
      const page = await browser.page();
      // The UI's codec settings as a person sets them: this browser's endpoint, with cross-origin credentials.
      await page.goto(`http://localhost:${ports.uiPort}/`);
      await page.evaluate(`(() => {
        localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
        localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(endpoint))});
        localStorage.setItem('includeCredentials', 'true');
      })()`);
      const shows = (p: Page, text: string, ms: number) => p.until(async () => (await p.text()).includes(text), ms);

      // Not logged in: the page renders the run, but its summary stays sealed.
      await page.goto(runPage);
      expect(await shows(page, handle.workflowId, 30_000)).toBe(true);
      expect(await shows(page, summary, 8_000)).toBe(false);
      // …because the UI asked and the codec server refused it (the browser had no session).
      expect(output).toMatch(
        new RegExp(
          `refused POST /decode from \\S+ \\(http://localhost:${ports.uiPort}\\): present the codec server token`,
        ),
      );

      // Logged in at the codec server with the token: the same page shows the summary in clear.
      await page.goto(`${endpoint}/`);
      await page.evaluate(`(() => {
        document.querySelector('input[name=token]').value = ${JSON.stringify(TOKEN)};
        document.querySelector('form').submit();
      })()`);
      expect(await shows(page, 'Logged in until', 10_000)).toBe(true);
      await page.goto(runPage);
      expect(await shows(page, summary, 30_000)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
