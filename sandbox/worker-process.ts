import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bootstrap';

/**
 * Starts `runway worker --config <configFile> <args>` as its own process, with `env` added to this one's (e.g.
 * RUNWAY_WORKFLOW_BUNDLE, so it starts in a second); resolves once it polls, rejects with its output if it exits
 * first or has not polled within 60 s.
 */
export function spawnRunwayWorker(configFile: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'bin', 'runway'), ['worker', '--config', configFile, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s: ${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('worker polling')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before polling: ${output}`));
    });
  });
}

/** A counter of a worker's /metrics summed by its `host` label (the SDK adds namespace, task queue, activity type). */
export async function countsByHost(metricsUrl: string, counter: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const line = new RegExp(`^${counter}_total\\{(.*)\\} (\\S+)$`);
  const totals: Record<string, number> = {};
  for (const row of text.split('\n')) {
    const match = line.exec(row);
    const host = match && /(?:^|,)host="([^"]*)"/.exec(match[1])?.[1];
    if (host) totals[host] = (totals[host] ?? 0) + Number(match[2]);
  }
  return totals;
}

/** A process's peak resident set (VmHWM) in MiB, from /proc; undefined once it is gone. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
