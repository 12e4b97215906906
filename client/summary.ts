import { appendFileSync } from 'node:fs';
import { markdownSummary } from '../core/run-summary';
import type { Outcome } from './outcome';

/** Appends the summary to `$GITHUB_STEP_SUMMARY` when the CLI runs in GitHub Actions. */
export function writeStepSummary(outcome: Outcome, link?: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, markdownSummary(outcome, link));
}
