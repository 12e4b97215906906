import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemporal } from '../sandbox/bootstrap';
import { startDevServer, type DevServer } from '../sandbox/dev-server';
import type { Outcome } from '../client/outcome';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { spawnWorker } from './support/harness';
import { blueGreenState, servedVersions } from './support/host-state';

const PORTS = { blue: 18071, green: 18072 };
const TRIALS = 10;
const SERVER_RESTART_TRIAL = 5;

/**
 * Crashes mid-deploy: the worker process is SIGKILLed at a random moment of each of 10 deploys, and once the Temporal
 * server itself is restarted mid-deploy (its SQLite file keeps the runs). Every run must end — completed or fully
 * rolled back, none stuck — with every host fully on one release, and no command run twice.
 */
describe('crash during deploys', () => {
  let server: DevServer;
  let w: DeployWorld;
  let worker: ChildProcess | undefined;
  const port = 17500 + Math.floor(Math.random() * 400);

  const startServer = () =>
    startDevServer({
      binary: ensureTemporal(),
      dbFile: join(dir, 'temporal.db'),
      port,
      uiPort: port + 1000,
      namespace: 'default',
      headless: true,
    });
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runway-crash-'));
    server = await startServer();
    w = await startDeployWorld('crash', {
      web: 2,
      lbPort: 18087,
      temporalAddress: server.address,
      noWorker: true,
      service: { strategy: 'blue-green', ports: PORTS, healthTimeout: '5s', drainWait: '300ms' },
    });
    worker = await spawnWorker(w.world);
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await w?.stop();
    await server?.stop();
  });

  async function killWorker(): Promise<void> {
    const child = worker!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Waits for the outcome, riding out a server restart (the long poll breaks; the run does not). */
  async function outcomeOf(handle: Parameters<DeployWorld['runway']['wait']>[0]): Promise<Outcome> {
    for (let tries = 0; ; tries++) {
      try {
        return await w.runway.wait(handle);
      } catch (err) {
        if (tries > 30) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  const starts = (version: string) =>
    w.world.sandbox.hosts
      .filter((h) => h.name.startsWith('web'))
      .map((h) => {
        const log = join(h.dir, 'app', 'starts.log');
        return existsSync(log)
          ? readFileSync(log, 'utf8')
              .split('\n')
              .filter((l) => l.endsWith(` ${version}`)).length
          : 0;
      });

  it('every run completes or rolls back fully; none is stuck; no command runs twice', async () => {
    await w.build('0.1.0');
    expect(
      (await outcomeOf(await w.runway.start('deploy', { environment: 'test', service: 'app', version: '0.1.0' })))
        .exitCode,
    ).toBe(0);
    const endings: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const version = `0.2.${trial}`;
      const old = blueGreenState(w).hosts[0].version;
      await w.build(version);
      const handle = await w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'crash' });
      await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 3000)));
      await killWorker();
      if (trial === SERVER_RESTART_TRIAL) {
        await server.stop();
        server = await startServer();
      }
      worker = await spawnWorker(w.world);
      const started = Date.now();
      const outcome = await outcomeOf(handle);
      expect(Date.now() - started).toBeLessThan(120_000);
      endings.push(outcome.status);
      process.stderr.write(`crash trial ${trial}: ${outcome.status} after ${Date.now() - started} ms\n`);
      expect(['succeeded', 'failed']).toContain(outcome.status);
      const state = blueGreenState(w);
      const expected = outcome.exitCode === 0 ? version : old;
      expect(new Set(state.hosts.map((h) => `${h.live} ${h.version}`)).size).toBe(1);
      expect(state.hosts[0].version).toBe(expected);
      const live = state.hosts[0].live as 'blue' | 'green';
      expect(state.upstream).toContain(`:${PORTS[live]};`);
      expect(await servedVersions(w, PORTS[live])).toEqual([expected, expected]);
      // The new release was started at most once on each host, whatever the crashes.
      for (const count of starts(version)) expect(count).toBeLessThanOrEqual(1);
      if (outcome.exitCode === 0) expect(starts(version)).toEqual([1, 1]);
    }
    expect(endings).toHaveLength(TRIALS);
  }, 900_000);
});
