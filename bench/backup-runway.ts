import type { RunwayClient } from '../client/lib';
import type { RunReport } from '../core/progress';
import type { BareTimed } from './backup-bare';

/** A Runway run timed like a bare one: wall seconds from `start` to the end of `wait`, and each step's ms. */
export type RunwayTimed = BareTimed & { result?: Record<string, unknown> };

/** The phase that is no step: planning, workflow and activity scheduling, the client's start and wait. */
export const OUTSIDE_STEPS = '(outside steps)';

/** A step's name without the copy id, scratch database or temp dir of its run, so rounds and runs line up. */
export function stepName(name: string): string {
  return name
    .replace(/\b[\w-]+-\d{8}T\d{6}Z-[a-z0-9]{6}\b/g, '<copy>')
    .replace(/\brunway_verify_[a-z0-9]+/g, '<scratch>')
    .replace(/:\/\S+/g, ':<dir>');
}

/** Each step's wall ms (start to end as the workflow recorded them), and the rest of `seconds` as one phase. */
export function stepPhases(report: RunReport, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  let inSteps = 0;
  for (const step of report.steps) {
    const ms = step.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : 0;
    const name = stepName(step.name);
    out[name] = (out[name] ?? 0) + ms;
    inSteps += ms;
  }
  out[OUTSIDE_STEPS] = seconds * 1000 - inSteps;
  return out;
}

/** Starts `runbook` on the set, waits for its end, and fails the bench unless it succeeded. */
export async function runwayRun(runway: RunwayClient, runbook: string, set: string): Promise<RunwayTimed> {
  const start = performance.now();
  const outcome = await runway.wait(await runway.start(runbook, { set }));
  const seconds = (performance.now() - start) / 1000;
  if (outcome.status !== 'succeeded' || !outcome.report)
    throw new Error(`the ${runbook} run ended ${outcome.status}: ${outcome.message}`);
  return { seconds, phases: stepPhases(outcome.report, seconds), result: outcome.report.result };
}
