import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, ScheduleNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { ENVIRONMENT, RUNBOOK, STATUS } from '../core/search-attributes';
import { ensureTemporal } from '../sandbox/bootstrap';
import { runCli, temporalAddress, testWorldBase, waitFor } from './support/harness';

/**
 * `runway schedules` against the real dev server: the schedules Runway makes from runway.yml, applied idempotently,
 * and the runs they start (no worker runs them: a started execution is what is checked, then terminated).
 */
describe('runway schedules', () => {
  const { dir, taskQueue, temporal } = testWorldBase('schedules');
  const tag = taskQueue.slice(-6); // the dev server is shared by the whole jest run: names of this run only
  const [db, files, drill, tick] = ['db', 'files', 'dr', 'tick'].map((n) => `${n}-${tag}`);
  const configFile = join(dir, 'runway.yml');
  const cli = (...args: string[]) => runCli(['-c', configFile, ...args]);
  let connection: Connection;
  let client: Client;
  let dbCron = '0 2 * * *';
  const foreign = [`nightly-report-${tag}`, `runway:backup:hand-${tag}`];
  /** The config without the files set's schedule and without the drill. */
  const trimmed = (t: string) =>
    t.replace('    schedule: { backup: "@daily" }\n', '').replace(/^drills:[^]*(?=^schedules:)/m, '');

  /** A runway.yml with two backup sets and a drill; `edit` rewrites its text. */
  function writeConfig(edit: (text: string) => string = (t) => t): void {
    const text = [
      temporal + 'ssh: { user: deploy, agent: true, knownHosts: known_hosts }',
      'environments:',
      '  test:',
      '    hosts:',
      '      db-1: { address: 127.0.0.1, roles: [db] }',
      'backups:',
      `  ${db}:`,
      '    kind: postgres',
      '    environment: test',
      '    host: db-1',
      '    database: app',
      '    dir: backups',
      `    schedule: { backup: "${dbCron}", verify: { every: 6h, offset: 30m } }`,
      `  ${files}:`,
      '    kind: files',
      '    environment: test',
      '    role: db',
      '    dir: backups',
      '    paths: [data]',
      '    schedule: { backup: "@daily" }',
      'drills:',
      `  ${drill}:`,
      `    backup: ${db}`,
      '    target: { host: db-1, database: app_dr }',
      '    schedule: "0 4 * * 0"',
      'schedules: { catchupWindow: 10m }',
    ].join('\n');
    writeFileSync(configFile, edit(text) + '\n');
  }

  const ids = () => [
    `runway:backup:${db}`,
    `runway:backup-verify:${db}`,
    `runway:backup:${files}`,
    `runway:dr-drill:${drill}`,
  ];
  const describeSchedule = (id: string) => client.schedule.getHandle(id).describe();
  /** What would change on any update: each schedule's conflict token. */
  const tokens = async (list: string[]) =>
    Promise.all(list.map(async (id) => (await describeSchedule(id)).raw.conflictToken?.toString()));
  /** Executions on this file's task queue (only schedules start them: no worker polls it). */
  async function executions(): Promise<WorkflowExecutionInfo[]> {
    const found: WorkflowExecutionInfo[] = [];
    for await (const w of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) found.push(w);
    return found;
  }
  async function inputOf(workflowId: string): Promise<unknown> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    return JSON.parse(Buffer.from(payload.data!).toString());
  }

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
    writeConfig();
  });

  afterAll(async () => {
    for (const id of [...ids(), `runway:backup:${tick}`, ...foreign]) {
      await client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
    for (const w of await executions()) {
      if (w.status.name === 'RUNNING') await client.workflow.getHandle(w.workflowId, w.runId).terminate('test done');
    }
    await connection.close();
  });

  it('apply creates one schedule per spec, as the Temporal CLI lists them', async () => {
    const result = await cli('schedules', 'apply');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^\\+ runway:backup:${db} +backup +0 2 \\* \\* \\*$`)),
      expect.stringMatching(new RegExp(`^\\+ runway:backup-verify:${db} +backupVerify +every 6h offset 30m$`)),
      expect.stringMatching(new RegExp(`^\\+ runway:backup:${files} +backup +@daily$`)),
      expect.stringMatching(new RegExp(`^\\+ runway:dr-drill:${drill} +drDrill +0 4 \\* \\* 0$`)),
      '4 created, 0 updated, 0 deleted, 0 unchanged',
      '',
    ]);
    const temporalCli = ensureTemporal();
    await waitFor('the Temporal CLI to list the schedules', () => {
      const listed = execFileSync(temporalCli, ['schedule', 'list', '--address', temporalAddress(), '-o', 'json']);
      const names = (JSON.parse(listed.toString()) as { scheduleId: string }[]).map((s) => s.scheduleId);
      return ids().every((id) => names.includes(id));
    });

    const backup = await describeSchedule(`runway:backup:${db}`);
    expect(backup.action).toMatchObject({
      workflowType: 'backup',
      workflowId: `backup:${db}`,
      taskQueue,
      args: [{ set: db, actor: 'schedule' }],
    });
    expect((backup.action.typedSearchAttributes as TypedSearchAttributes).get(RUNBOOK)).toBe('backup');
    expect((backup.action.typedSearchAttributes as TypedSearchAttributes).get(ENVIRONMENT)).toBe('test');
    expect(backup.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 600_000 });
    expect(backup.state.paused).toBe(false);
    expect(backup.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 2, end: 2, step: 1 }] });
    const verify = await describeSchedule(`runway:backup-verify:${db}`);
    expect(verify.spec.intervals).toEqual([{ every: 6 * 3_600_000, offset: 30 * 60_000 }]);
    const drDrill = await describeSchedule(`runway:dr-drill:${drill}`);
    expect(drDrill.action).toMatchObject({ workflowType: 'drDrill', args: [{ drill, actor: 'schedule' }] });
    expect((drDrill.action.typedSearchAttributes as TypedSearchAttributes).get(ENVIRONMENT)).toBe('test');
  });

  it('applying again reports every schedule unchanged and changes none', async () => {
    const before = await tokens(ids());
    const result = await cli('schedules', 'apply');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^= runway:backup:${db} +backup +0 2 \\* \\* \\*$`, 'm'));
    expect(result.stdout).toContain('0 created, 0 updated, 0 deleted, 4 unchanged');
    expect(await tokens(ids())).toEqual(before);
  });

  it('--dry-run prints the difference and changes nothing; apply then updates, and once only', async () => {
    dbCron = '0 3 * * *';
    writeConfig();
    const before = await tokens(ids());
    const dry = await cli('schedules', 'apply', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(`^~ runway:backup:${db} +backup +0 3 \\* \\* \\*  \\(was 0 2 \\* \\* \\*\\)$`, 'm'),
    );
    expect(dry.stdout).toContain('dry run: 0 to create, 1 to update, 0 to delete, 3 unchanged; nothing changed');
    const json = JSON.parse((await cli('schedules', 'apply', '--dry-run', '--json')).stdout);
    expect(json).toMatchObject({ dryRun: true, create: [], remove: [], update: [{ id: `runway:backup:${db}` }] });
    expect(await tokens(ids())).toEqual(before);

    expect((await cli('schedules', 'apply')).stdout).toContain('0 created, 1 updated, 0 deleted, 3 unchanged');
    const updated = await describeSchedule(`runway:backup:${db}`);
    expect(updated.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 3, end: 3, step: 1 }] });
    expect((await cli('schedules', 'apply')).stdout).toContain('0 created, 0 updated, 0 deleted, 4 unchanged');
  });

  it('removing an entry deletes its schedule; schedules Runway did not make are never touched', async () => {
    for (const scheduleId of foreign) {
      await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1h' }] },
        action: { type: 'startWorkflow', workflowType: 'report', taskQueue, args: [] },
        state: { paused: true },
      });
    }
    const foreignBefore = await tokens(foreign);
    writeConfig((t) => trimmed(t));
    const result = await cli('schedules', 'apply');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^- runway:backup:${files} +backup +@daily$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^- runway:dr-drill:${drill} +drDrill +0 4 \\* \\* 0$`, 'm'));
    expect(result.stdout).toContain('0 created, 0 updated, 2 deleted, 2 unchanged');
    await expect(describeSchedule(`runway:backup:${files}`)).rejects.toThrow(ScheduleNotFoundError);
    await expect(describeSchedule(`runway:dr-drill:${drill}`)).rejects.toThrow(ScheduleNotFoundError);
    expect(await tokens(foreign)).toEqual(foreignBefore);

    // An id Runway wants, held by a schedule it did not make: refused, and nothing changes.
    writeConfig((t) => trimmed(t).replace(`  ${files}:`, `  hand-${tag}:\n    schedule: { backup: "@daily" }`));
    const conflict = await cli('schedules', 'apply');
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toBe(`runway: schedules not made by Runway hold: runway:backup:hand-${tag}\n`);
    expect(await tokens(foreign)).toEqual(foreignBefore);
    writeConfig((t) => trimmed(t));
  });

  it('trigger starts the runbook now, with its input; an unknown name is one line and exit 2', async () => {
    const started = await cli('schedules', 'trigger', `backup:${db}`);
    expect(started.code).toBe(0);
    const [, workflowId] = /^started (\S+)$/m.exec(started.stdout) ?? [];
    expect(workflowId).toMatch(new RegExp(`^backup:${db}-`));
    const run = await client.workflow.getHandle(workflowId).describe();
    expect(run).toMatchObject({ type: 'backup', taskQueue, status: { name: 'RUNNING' } });
    expect(run.typedSearchAttributes.get(STATUS)).toBe('planning');
    expect(await inputOf(workflowId)).toEqual({ set: db, actor: 'schedule' });

    const again = await cli('schedules', 'trigger', `runway:backup:${db}`);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`its run ${workflowId} is still running`);

    const verify = await cli('schedules', 'trigger', `runway:backup-verify:${db}`);
    expect(verify.code).toBe(0);
    const [, verifyId] = /^started (\S+)$/m.exec(verify.stdout) ?? [];
    expect((await client.workflow.getHandle(verifyId).describe()).type).toBe('backupVerify');

    const unknown = await cli('schedules', 'trigger', 'backup:nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('runway: no Runway schedule "runway:backup:nope" (see schedules list)\n');
    const notOurs = await cli('schedules', 'trigger', `backup:hand-${tag}`);
    expect(notOurs.code).toBe(2);

    const list = await cli('schedules', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^runway:backup:${db} +backup +0 3 \\* \\* \\* +\\S+Z +\\S+Z ${workflowId} running$`, 'm'),
    );
  });

  it('an unreachable Temporal is one line and exit 2', async () => {
    const file = join(dir, 'unreachable.yml');
    writeFileSync(file, 'temporal: { address: 127.0.0.1:1 }\n');
    const result = await runCli(['-c', file, 'schedules', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^runway: cannot reach Temporal at 127\.0\.0\.1:1: /);
  });

  it('a schedule of { every: 2s } starts its runbook on its own', async () => {
    const set = ['kind: files', 'environment: test', 'role: db', 'dir: backups', 'paths: [data]'];
    const every2s = [`  ${tick}:`, ...set.map((l) => `    ${l}`), '    schedule: { backup: { every: 2s } }'];
    writeConfig((t) => trimmed(t).replace(/^schedules:/m, `${every2s.join('\n')}\nschedules:`));
    const result = await cli('schedules', 'apply');
    expect(result.stdout).toMatch(new RegExp(`^\\+ runway:backup:${tick} +backup +every 2s$`, 'm'));
    const run = await waitFor(
      'the schedule to start a run',
      async () => (await executions()).find((w) => w.workflowId.startsWith(`backup:${tick}-`)),
      10_000,
    );
    expect(run.type).toBe('backup');
    expect(await inputOf(run.workflowId)).toEqual({ set: tick, actor: 'schedule' });
  });
});
