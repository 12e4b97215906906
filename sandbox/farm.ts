import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './bootstrap';
import { killTree } from './process';

/** The light demo app's one process (examples/demo-app/farm.js), answering for every host. */
export interface Farm {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts farm.js for `hosts` (each its address and service dir) on `port`, writing its host list to `file`; resolves
 * once every address listens, rejects with its output if it exits first.
 */
export function startFarm(file: string, port: number, hosts: Array<{ address: string; dir: string }>): Promise<Farm> {
  writeFileSync(file, JSON.stringify({ port, hosts }));
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'demo-app', 'farm.js'), file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const farm: Farm = {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) killTree(child.pid!, 'SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(`listening ${hosts.length}`)) resolve(farm);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`demo-app farm exited (${code}) before listening: ${output.trim()}`)),
    );
  });
}
