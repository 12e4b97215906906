import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

/**
 * The configurations the bench compares; `runway-encrypted` is the same runbook with `temporal.encryption` on, `ssh`
 * opens a new connection per command, `ssh-mux` multiplexes.
 */
export type Config = 'runway' | 'runway-encrypted' | 'ssh' | 'ssh-mux';

/** How each configuration is named in the table. */
export const LABELS: Record<Config, string> = {
  runway: 'Runway `steps` runbook',
  'runway-encrypted': 'Runway `steps` runbook, payloads encrypted',
  ssh: 'ssh, new connection per command',
  'ssh-mux': 'ssh, multiplexed (ControlMaster)',
};

/** The wall times of every round of one configuration on one number of hosts. */
export interface Measurement {
  config: Config;
  hosts: number;
  seconds: number[];
}

/** A measurement reduced to its median, with the rates and Runway's steps/s divided by this row's (ssh rows only). */
export interface Result extends Measurement {
  wallSeconds: number;
  stepsPerSecond: number;
  hostCommandsPerSecond: number;
  runwayRatio?: number;
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Medians, rates and ratios against the Runway row of the same number of hosts. */
export function summarize(measurements: Measurement[], steps: number): Result[] {
  const results = measurements.map((m): Result => {
    const wallSeconds = median(m.seconds);
    return {
      ...m,
      wallSeconds,
      stepsPerSecond: steps / wallSeconds,
      hostCommandsPerSecond: (steps * m.hosts) / wallSeconds,
    };
  });
  for (const r of results) {
    const runway = results.find((x) => x.config === 'runway' && x.hosts === r.hosts);
    if (r.config.startsWith('ssh') && runway) r.runwayRatio = runway.stepsPerSecond / r.stepsPerSecond;
  }
  return results;
}

/** Runway's extra wall time per step over multiplexed ssh, in ms, by number of hosts. */
export function overheadMs(results: Result[], steps: number): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of results.filter((x) => x.config === 'runway')) {
    const mux = results.find((x) => x.config === 'ssh-mux' && x.hosts === r.hosts);
    if (mux) out[r.hosts] = ((r.wallSeconds - mux.wallSeconds) * 1000) / steps;
  }
  return out;
}

/**
 * Runway's wall time divided by multiplexed ssh's, by number of hosts: the median of each round's own ratio (the two
 * run in the same round, next to each other), so drift in the machine's load between rounds cancels out.
 */
export function muxRatio(results: Result[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const runway of results.filter((x) => x.config === 'runway')) {
    const mux = results.find((x) => x.config === 'ssh-mux' && x.hosts === runway.hosts);
    if (mux) out[runway.hosts] = median(runway.seconds.map((s, round) => s / mux.seconds[round]));
  }
  return out;
}

/**
 * Steps per second with payload encryption off and on (medians), and on/off as the median of each round's own ratio:
 * the two run back to back in every round, so a change in the machine's load between rounds cancels out.
 */
export function encryptionCost(results: Result[]): Record<number, { off: number; on: number; ratio: number }> {
  const out: Record<number, { off: number; on: number; ratio: number }> = {};
  for (const on of results.filter((x) => x.config === 'runway-encrypted')) {
    const off = results.find((x) => x.config === 'runway' && x.hosts === on.hosts);
    if (!off) continue;
    const ratios = on.seconds.map((s, round) => off.seconds[round] / s);
    out[on.hosts] = { off: off.stepsPerSecond, on: on.stepsPerSecond, ratio: median(ratios) };
  }
  return out;
}

/** The results as a Markdown table. */
export function markdownTable(results: Result[]): string {
  const rows = results.map((r) =>
    [
      LABELS[r.config],
      String(r.hosts),
      r.wallSeconds.toFixed(2),
      r.stepsPerSecond.toFixed(2),
      r.hostCommandsPerSecond.toFixed(1),
      r.runwayRatio === undefined ? '—' : `${r.runwayRatio.toFixed(2)}×`,
    ].join(' | '),
  );
  return [
    '| configuration | hosts | wall s | steps/s | host-commands/s | Runway/ssh (steps/s) |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** The machine a benchmark ran on, for its JSON record. */
export function machineFacts(): { cpus: number; cpu?: string; loadavg: number[]; node: string } {
  return { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg(), node: process.version };
}

/** Writes `payload` to `dir/<name>-<timestamp>.json` and returns the path. */
export function writeJson(dir: string, name: string, payload: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(payload, null, 2) + '\n');
  return file;
}
