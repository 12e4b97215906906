import type { Command } from 'commander';
import { InputError } from '../../config';
import { planLines, scheduleLines } from '../../core/schedules';
import { ExitCode } from '../outcome';
import { applySchedules, listSchedules, triggerSchedule } from '../schedules';
import { clientConfigOf, withClient } from './common';

/** `runway schedules apply [--dry-run]`: makes Temporal's schedules match the backups and drills of runway.yml. */
export async function apply(opts: { dryRun?: boolean; json?: boolean }, command: Command): Promise<number> {
  const client = clientConfigOf(command);
  const config = client.full?.config;
  if (!config) {
    throw new InputError(
      `${client.file ?? 'TEMPORAL_ADDRESS'}: schedules come from the complete runway.yml (its backups and drills); this one has only temporal:`,
    );
  }
  return withClient(
    command,
    async (runway) => {
      const dryRun = !!opts.dryRun;
      const plan = await applySchedules(runway.client, config, { dryRun, taskQueue: runway.target.taskQueue });
      const json = () =>
        JSON.stringify({ dryRun, ...plan }, (k, v: unknown) => (k === 'fingerprint' ? undefined : v), 2);
      console.log(opts.json ? json() : planLines(plan, dryRun).join('\n'));
      return ExitCode.Succeeded;
    },
    client,
  );
}

/** `runway schedules list`: Runway's schedules, their next run and their last run's status. */
export async function list(opts: { json?: boolean }, command: Command): Promise<number> {
  return withClient(command, async (runway) => {
    const rows = await listSchedules(runway.client);
    const none = 'no Runway schedules (runway schedules apply creates them)';
    console.log(opts.json ? JSON.stringify(rows, null, 2) : rows.length ? scheduleLines(rows).join('\n') : none);
    return ExitCode.Succeeded;
  });
}

/** `runway schedules trigger <name>`: runs a schedule's runbook now. */
export async function trigger(name: string, _opts: unknown, command: Command): Promise<number> {
  return withClient(command, async (runway) => {
    const workflowId = await triggerSchedule(runway.client, name);
    console.log(workflowId ? `started ${workflowId}` : `triggered ${name}; its run has not shown up yet`);
    return ExitCode.Succeeded;
  });
}
