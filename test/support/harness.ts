import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { INPUT_SCHEMAS } from '../../runbooks/registry';
import { ROOT } from '../../sandbox/bootstrap';
import { RunwayClient } from '../../client/lib';
import { sandboxConfigYaml, type SandboxConfigOptions } from '../../sandbox/config';
import { startSandbox, type Sandbox } from '../../sandbox/hosts';
import { spawnRunwayWorker } from '../../sandbox/worker-process';
import { createRunwayWorker, installRuntime } from '../../worker';
import type { SshPool } from '../../activities';
import type { HostRef } from '../../core/plan';

// Each test file has its own module registry, hence its own SDK runtime: keep its logging to warnings.
installRuntime();

/** Address of the dev server the global setup started. */
export function temporalAddress(): string {
  const address = process.env.RUNWAY_TEST_TEMPORAL;
  if (!address) throw new Error('RUNWAY_TEST_TEMPORAL is not set: run the tests with `npm test` (jest global setup)');
  return address;
}

/** Input schemas of the test worker: the shipped runbooks' plus the probes'. */
export const TEST_SCHEMAS: Record<string, z.ZodType> = {
  ...INPUT_SCHEMAS,
  quoteEcho: z.strictObject({ environment: z.string(), values: z.array(z.string()) }),
};

/** A test's world: real sshd hosts, a runway.yml for them pointing at the test server, and its own task queue. */
export interface TestWorld {
  dir: string;
  sandbox: Sandbox;
  configFile: string;
  taskQueue: string;
  stop(): Promise<void>;
}

/** Fast failure detection and retries, so crash tests take seconds, not minutes. */
export const FAST_SSH = ['heartbeatTimeout: 3s', 'retry: { attempts: 20, initialInterval: 200ms, maxInterval: 1s }'];

/** A fresh dir and task queue for the world `name`, and its config's `temporal:` section (the jest run's server). */
export function testWorldBase(
  name: string,
  address = temporalAddress(),
): { dir: string; taskQueue: string; temporal: string } {
  const dir = mkdtempSync(join(tmpdir(), `runway-${name}-`));
  const taskQueue = `test-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const temporal = `temporal:\n  address: ${address}\n  taskQueue: ${taskQueue}\n  uiUrl: http://localhost:8233\n`;
  return { dir, taskQueue, temporal };
}

/** Starts `count` sshd hosts on loopback addresses of their own and writes a config for them (environment `test`). */
export async function startWorld(
  name: string,
  count: number,
  options: SandboxConfigOptions & { names?: string[] } = {},
): Promise<TestWorld> {
  const { dir, taskQueue, temporal } = testWorldBase(name);
  const sandbox = await startSandbox({ dir: join(dir, 'hosts'), count, names: options.names });
  const configFile = join(dir, 'runway.yml');
  writeFileSync(
    configFile,
    sandboxConfigYaml(sandbox, {
      environment: 'test',
      ...options,
      sshExtra: options.sshExtra ?? FAST_SSH,
      extra: temporal + (options.extra ?? ''),
    }),
  );
  return { dir, sandbox, configFile, taskQueue, stop: () => sandbox.stop() };
}

/** An in-process worker on the world's task queue, sharing the bundle the global setup built. */
export async function startWorker(world: TestWorld): Promise<{ worker: Worker; pool: SshPool; stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const { worker, pool } = await createRunwayWorker({
    configFile: world.configFile,
    connection,
    workflowBundle: { codePath: process.env.RUNWAY_TEST_BUNDLE! },
    inputSchemas: TEST_SCHEMAS,
  });
  const running = worker.run();
  return {
    worker,
    pool,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      pool.close();
      await connection.close();
    },
  };
}

/** A client for the world's config. Its `start` validates against the shipped runbooks only. */
export function connectClient(world: TestWorld): Promise<RunwayClient> {
  return RunwayClient.connect({ configFile: world.configFile });
}

/** The result of running the real `runway` CLI. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/runway` as a user would (in `cwd`, when given, e.g. a CI checkout with its own runway.yml); never throws
 * on a non-zero exit. An `env` value of undefined removes that variable.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'bin', 'runway'), args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `runway worker` (with `args`) as its own process (so a test can SIGKILL it); resolves once it polls. */
export function spawnWorker(world: TestWorld, args: string[] = []): Promise<ChildProcess> {
  return spawnRunwayWorker(world.configFile, args, { RUNWAY_WORKFLOW_BUNDLE: process.env.RUNWAY_TEST_SHIPPED_BUNDLE });
}

/** Polls until `check` returns a value (not undefined/false) or `ms` pass. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let activityCounter = 0;

/** Runs a real activity function outside a worker, with a fresh activity id (so each call has its own journal entry). */
export function runActivity<A extends (...args: never[]) => Promise<unknown>>(
  fn: A,
  ...args: Parameters<A>
): Promise<Awaited<ReturnType<A>>> {
  const env = new MockActivityEnvironment({ activityId: `test-${process.pid}-${activityCounter++}` });
  return env.run(fn as never, ...(args as never[])) as Promise<Awaited<ReturnType<A>>>;
}

/** A world with an in-process worker and a client, set up before the file's tests and torn down after. */
export interface LiveWorld {
  world: TestWorld;
  worker: Awaited<ReturnType<typeof startWorker>>;
  runway: RunwayClient;
}

/** Registers beforeAll/afterAll for a {@link LiveWorld}; read its fields inside tests (they are set by then). */
export function useLiveWorld(name: string, count: number, options: Parameters<typeof startWorld>[2] = {}): LiveWorld {
  const live = {} as LiveWorld;
  beforeAll(async () => {
    live.world = await startWorld(name, count, options);
    live.worker = await startWorker(live.world);
    live.runway = await connectClient(live.world);
  });
  afterAll(async () => {
    await live.runway?.close();
    await live.worker?.stop();
    await live.world?.stop();
  });
  return live;
}

/** The plan's view of a world's host `i`, for calling activities directly. */
export function hostRef(world: TestWorld, i = 0, roles: string[] = ['web']): HostRef {
  const h = world.sandbox.hosts[i];
  return {
    name: h.name,
    address: h.address,
    port: h.port,
    user: world.sandbox.user,
    roles,
    dir: h.dir,
    journalDir: `${h.dir}/journal`,
  };
}
