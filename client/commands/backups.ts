import type { Command } from 'commander';
import { drillLines, statusLines, type BackupStatusReport } from '../../core/backup-status';
import type { RunwayClient } from '../lib';
import { ExitCode } from '../outcome';
import { checkInput, printOutcome, readOnlyRun, startAndFollow, withClient, type StartOptions } from './common';

interface RunOptions extends StartOptions {
  copy?: string;
}

/** `runway backups take <set>`: a copy now. */
export const take = (set: string, opts: RunOptions, command: Command) =>
  startAndFollow('backup', { set }, opts, command);
/** `runway backups verify <set> [--copy id]`: restore-test a copy (default: the newest). */
export const verify = (set: string, opts: RunOptions, command: Command) =>
  startAndFollow('backupVerify', { set, ...(opts.copy ? { copy: opts.copy } : {}) }, opts, command);
/** `runway drills run <drill> [--copy id]`. */
export const drill = (name: string, opts: RunOptions, command: Command) =>
  startAndFollow('drDrill', { drill: name, ...(opts.copy ? { copy: opts.copy } : {}) }, opts, command);

/** Runs the read-only `backupStatus` runbook to its end and returns its report (see {@link readOnlyRun}). */
async function statusReport(runway: RunwayClient, input: { sets?: string[]; drills: number }, within?: string) {
  const outcome = await readOnlyRun(runway, 'backupStatus', input, within);
  if (!outcome) return { exitCode: ExitCode.Stopped };
  const report = outcome.report?.result as BackupStatusReport | undefined;
  if (outcome.exitCode !== 0 || !report) {
    printOutcome(outcome, false);
    return { exitCode: outcome.exitCode || ExitCode.Failed };
  }
  return { exitCode: ExitCode.Succeeded, report };
}

/**
 * `runway backups status [set…]`: per set the newest copy's and newest verified copy's age against its thresholds,
 * and each drill's last RTO/RPO against its objectives. Exit 1 when anything is broken, so cron or a monitor can call it.
 */
export async function status(
  sets: string[],
  opts: { json?: boolean; within?: string },
  command: Command,
): Promise<number> {
  const input = { ...(sets.length ? { sets } : {}), drills: 100 };
  checkInput('backupStatus', input);
  return withClient(command, async (runway) => {
    const { exitCode, report } = await statusReport(runway, input, opts.within);
    if (!report) return exitCode;
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(statusLines(report).join('\n'));
      for (const problem of report.problems) console.error(`✗ ${problem}`);
    }
    return report.ok ? ExitCode.Succeeded : ExitCode.Failed;
  });
}

/** `runway drills report [-n N]`: the last N drills from the drill log. */
export async function report(
  opts: { last?: string; json?: boolean; within?: string },
  command: Command,
): Promise<number> {
  const input = { sets: [], drills: opts.last === undefined ? 10 : Number(opts.last) };
  checkInput('backupStatus', input);
  return withClient(command, async (runway) => {
    const { exitCode, report } = await statusReport(runway, input, opts.within);
    if (!report) return exitCode;
    if (opts.json) console.log(JSON.stringify(report.drills, null, 2));
    else console.log(drillLines(report.drills).join('\n'));
    return ExitCode.Succeeded;
  });
}
