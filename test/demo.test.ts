import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from '../sandbox/bootstrap';

/** The embedded dev server's frontend and Web UI: fixed ports, as a user gets them. */
const SERVER_PORTS = [7233, 8233];
/** nginx on lb-1 (127.0.0.13) and the app's blue and green slots on web-1 and web-2 (127.0.0.11–12). */
const DEMO_ADDRESS = /^127\.0\.0\.1[123]$/;
const DEMO_PORTS = [18080, 18001, 18002];
const LINK = /http:\/\/localhost:8233\/namespaces\/default\/workflows\/deploy%3Ademo%3Aapp\/[0-9a-f-]+\/history/g;

interface Socket {
  address: string;
  port: number;
}

/** Listening TCP sockets, from the kernel's tables (IPv4 dotted; IPv6 left in the kernel's hex). */
function listening(): Socket[] {
  const sockets: Socket[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A') continue; // TCP_LISTEN
      const [hex, port] = local.split(':');
      // IPv4 is one little-endian word: 0D00007F is 127.0.0.13.
      const address =
        hex.length === 8
          ? [...hex.match(/../g)!]
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : hex;
      sockets.push({ address, port: parseInt(port, 16) });
    }
  }
  return sockets;
}

/** What the demo listens on while it runs: the dev server's ports on any address, nginx and the apps on theirs. */
function demoSockets(): string[] {
  return listening()
    .filter((s) => SERVER_PORTS.includes(s.port) || (DEMO_ADDRESS.test(s.address) && DEMO_PORTS.includes(s.port)))
    .map((s) => `${s.address}:${s.port}`);
}

/** Runs `npm run demo -- --exit`'s command line from the repository root; never throws on a non-zero exit. */
function runDemo(): Promise<{ code: number | null; output: string }> {
  const env = { ...process.env };
  // As a user runs it: the embedded dev server, not a Temporal named by the environment.
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'RUNWAY_TASK_QUEUE', 'RUNWAY_CONFIG']) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli.ts', 'demo', '--exit'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // SIGTERM (not SIGKILL) before jest gives up, so a hung demo still stops what it started.
    const timer = setTimeout(() => child.kill('SIGTERM'), 210_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * `npm run demo -- --exit` as a newcomer runs it: the embedded dev server on its fixed ports, real sshd hosts, real
 * nginx, a blue-green deploy under live traffic and a rollback — then nothing of it is left running.
 */
describe('npm run demo -- --exit', () => {
  it('deploys 1.0.0, then 2.0.0 and rolls back under traffic with no failed request, and stops it all', async () => {
    const busy = demoSockets().filter((s) => SERVER_PORTS.some((p) => s.endsWith(`:${p}`)));
    if (busy.length > 0) {
      throw new Error(
        `the demo runs the embedded Temporal dev server on ports 7233 and 8233, but ${busy.join(', ')} is in use: ` +
          'stop what holds it (a `runway dev`, another demo) and run this test again',
      );
    }
    const { code, output } = await runDemo();
    // The output comes along so that a failure shows what the demo printed.
    expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });

    const summary = output.slice(output.lastIndexOf('== summary'));
    expect(summary).toMatch(/^requests: [1-9]\d*, failed: 0, versions seen: 1\.0\.0 → 2\.0\.0 → 1\.0\.0$/m);
    const links = [...new Set(summary.match(LINK))];
    expect(links).toHaveLength(3);
    expect(summary).toMatch(/^deploy 1\.0\.0 \(first deploy\): succeeded — http/m);
    expect(summary).toMatch(/^deploy 2\.0\.0 under live traffic: succeeded — http/m);
    expect(summary).toMatch(/^roll back under live traffic: succeeded — http/m);
    // Each run's link is also printed as soon as that run ends.
    for (const link of links) expect(output).toContain(`run: ${link}`);
    expect(summary).toContain('RunwayService="app"');
    expect(output).toMatch(/^traffic \d+s: [1-9]\d* requests, 0 failed, serving [12]\.0\.0$/m);

    expect(demoSockets()).toEqual([]);
  }, 240_000);
});
