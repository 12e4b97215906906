import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { InputError, type RunwayConfig } from '../config';
import * as core from '../core/schedules';
import { RefusedError } from './errors';
import { PLANNING } from './lib';

/** Creates, updates and deletes Runway's Temporal Schedules to match the config; returns the plan (applied unless dry). */
export async function applySchedules(
  client: Client,
  config: Pick<RunwayConfig, 'backups' | 'drills' | 'schedules' | 'certificates'>,
  { dryRun = false, taskQueue }: { dryRun?: boolean; taskQueue: string },
): Promise<core.SchedulePlan> {
  const desired = core.desiredSchedules(config, taskQueue);
  const found = await describeAll(
    client,
    desired.map((d) => d.id),
  );
  const plan = core.planSchedules(
    desired,
    found.map(({ id, d }) => core.existingSchedule(id, d)),
  );
  if (plan.conflict.length) throw new InputError(`schedules not made by Runway hold: ${plan.conflict.join(', ')}`);
  if (dryRun) return plan;
  for (const d of plan.create) await client.schedule.create(core.scheduleOptions(d, PLANNING));
  for (const d of plan.update) {
    const { scheduleId: _, memo: __, ...options } = core.scheduleOptions(d, PLANNING);
    await client.schedule.getHandle(d.id).update(() => options);
  }
  for (const e of plan.remove) await client.schedule.getHandle(e.id).delete();
  return plan;
}

/** Runway's schedules, with their next run and the status of their last run. */
export async function listSchedules(client: Client): Promise<core.ScheduleRow[]> {
  const owned = (await describeAll(client, [])).filter(({ d }) => core.ownedByRunway(d));
  return Promise.all(
    owned.map(async ({ id, d }) => {
      const last = d.info.recentActions.at(-1)?.action.workflow;
      const handle = last && client.workflow.getHandle(last.workflowId, last.firstExecutionRunId);
      return core.scheduleRow(id, d, (await handle?.describe().catch(() => undefined))?.status.name.toLowerCase());
    }),
  );
}

/**
 * Starts a schedule's runbook now (`backup:app-db` or `runway:backup:app-db`), unless its last run is still running;
 * resolves to the started workflow id once Temporal shows it (within 5 s).
 */
export async function triggerSchedule(client: Client, name: string): Promise<string | undefined> {
  const id = name.startsWith(core.SCHEDULE_PREFIX) ? name : core.SCHEDULE_PREFIX + name;
  const before = await describe(client, id);
  if (!before || !core.ownedByRunway(before)) throw new InputError(`no Runway schedule "${id}" (see schedules list)`);
  const running = before.info.runningActions[0]?.workflow.workflowId;
  if (running) throw new RefusedError(`${id} did not start a run: its run ${running} is still running`);
  await client.schedule.getHandle(id).trigger('SKIP');
  for (const end = Date.now() + 5_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const info = (await describe(client, id))?.info;
    if (info && info.numActionsTaken > before.info.numActionsTaken)
      return info.recentActions.at(-1)?.action.workflow.workflowId;
  }
  return undefined;
}

/** `ids` and every `runway:` schedule listed, described: listing lags behind, describing does not. */
async function describeAll(client: Client, ids: string[]): Promise<{ id: string; d: ScheduleDescription }[]> {
  const all = new Set(ids);
  for await (const s of client.schedule.list())
    if (s.scheduleId.startsWith(core.SCHEDULE_PREFIX)) all.add(s.scheduleId);
  const found = await Promise.all([...all].sort().map(async (id) => ({ id, d: await describe(client, id) })));
  return found.filter((f): f is { id: string; d: ScheduleDescription } => f.d !== undefined);
}

async function describe(client: Client, id: string): Promise<ScheduleDescription | undefined> {
  return client.schedule
    .getHandle(id)
    .describe()
    .catch((err: unknown) => (err instanceof ScheduleNotFoundError ? undefined : Promise.reject(err)));
}
