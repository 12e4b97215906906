import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalTarget, type TemporalConfig } from '../config';
import { ensureTemporal } from './bootstrap';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes';
import { accepts, until } from './process';

/**
 * Dynamic config of every dev server Runway starts. Eager activity execution hands a step's activity to the worker in
 * the reply to the workflow task that scheduled it, skipping a round through matching: a 20-step run of short commands
 * takes about a third less time. (On a cluster it is the server's `system.enableActivityEagerExecution` setting.)
 */
export const DEV_SERVER_ARGS = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

/**
 * SQLite settings of a dev server that keeps its state in a file (`runway dev`, the demo). By default every commit
 * waits for an fsync of a rollback journal, several per step; a write-ahead log synced at checkpoints survives the
 * server being killed (not the machine losing power mid-write) and makes a 20-step run about 40% shorter here.
 */
export const DEV_SERVER_DB_ARGS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

const SETPRIV = '/usr/bin/setpriv';

export interface DevServerOptions {
  binary: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Keep the Web UI off (tests). */
  headless?: boolean;
  /** The Web UI's codec endpoint (`runway codec-server`), when payloads are encrypted. */
  codecEndpoint?: string;
}

/** A running embedded Temporal dev server. */
export interface DevServer {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with a SQLite file (runs survive restarts), Runway's search attributes registered
 * and the Web UI, and waits until the frontend answers. A port already in use is an error naming it.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${options.port}`;
  if (await accepts('127.0.0.1', options.port)) {
    throw new Error(`port ${options.port} is already in use: is a dev server running? (set temporal.devServer.port)`);
  }
  mkdirSync(dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--db-filename',
    options.dbFile,
    ...DEV_SERVER_DB_ARGS,
  ];
  args.push('--namespace', options.namespace, '--log-level', 'error', ...DEV_SERVER_ARGS);
  args.push(...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort)]));
  if (options.codecEndpoint && !options.headless) args.push('--ui-codec-endpoint', options.codecEndpoint);
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  // setpriv's parent-death signal stops the server even when this process is SIGKILLed, so no orphan holds the ports.
  const [command, ...argv] = existsSync(SETPRIV)
    ? [SETPRIV, '--pdeathsig', 'SIGTERM', options.binary, ...args]
    : [options.binary, ...args];
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const dead = () => child.exitCode !== null || child.signalCode !== null;
  const up = await until(60_000, async () => dead() || (await ready(options.port, options.namespace)));
  if (!up || dead()) {
    child.kill('SIGKILL');
    throw new Error(`the Temporal dev server did not start on ${address}: ${stderr.trim() || 'no output'}`);
  }
  return {
    address,
    uiUrl: options.headless ? undefined : `http://localhost:${options.uiPort}`,
    child,
    async stop() {
      if (dead()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function ready(port: number, namespace: string): Promise<boolean> {
  if (!(await accepts('127.0.0.1', port))) return false;
  try {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * Starts the embedded dev server a `temporal` section names, or nothing when it points at an external cluster. Its Web
 * UI calls `codecEndpoint` (the codec server `runway dev` runs when payloads are encrypted) to show them in clear.
 */
export async function startEmbedded(temporal: TemporalConfig, codecEndpoint?: string): Promise<DevServer | undefined> {
  const target = temporalTarget(temporal);
  if (!target.embedded) return undefined;
  const { devServer } = temporal;
  return startDevServer({
    binary: ensureTemporal(),
    dbFile: devServer.dbFile,
    port: devServer.port,
    uiPort: devServer.uiPort,
    namespace: target.namespace,
    codecEndpoint,
  });
}
