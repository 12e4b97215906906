import { scheduleIntervalMs } from '../core/schedules';
import { recordDrill } from './backup/metrics';
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import { DrillInputSchema, type DrillInput } from '../config/inputs';
import { judgeObjectives, formatMs, type DrillRecord } from '../core/drills';
import { checkFailed, describeError } from '../core/failures';
import { quote } from '../core/quote';
import { fillTemplate } from '../core/template';
import { defineRunbook, runbook } from '../workflows';
import { records } from '../workflows/proxies';
import { elapsed, now } from '../workflows/time';
import { copyPath, listCopiesWithKey, pickCopy, requireKey, onHost } from './backup/copies';
import { kindOf, setSecrets, type RestoreTarget } from './backup/kinds';
import { pgTarget } from './backup/kinds/postgres';
import { scratchDatabase } from './backup/manifest';
import { absentDatabaseScript, absentDirScript, smokeCommandScript } from './backup/scripts';

/**
 * A disaster-recovery drill: the newest verified copy is restored into the DR target, the app is started against it
 * and smoke-checked; RTO (drill start → app healthy) and RPO (drill start − the copy's data timestamp) are measured
 * and held against the objectives. The DR instance is always torn down — after the checks, by the undos on failure
 * or cancellation — and every drill, passed or failed, goes to the run's result, Slack and the drill log.
 */
export const drDrill = defineRunbook(
  {
    description: 'restore the newest verified copy into the DR target, start the app, measure RTO and RPO',
    input: DrillInputSchema,
  },
  async function drDrill(input) {
    return runbook<DrillInput>('drDrill', input, async (rb) => {
      const drill = rb.plan.drill!;
      const set = rb.plan.backup!;
      const kind = kindOf(set);
      const secrets = setSecrets(set);
      const { runId, workflowId } = workflowInfo();
      const target = drill.target;
      const started = now();
      if (rb.input.actor) rb.label('actor', rb.input.actor);
      const maxAge = drill.config.schedule ? scheduleIntervalMs(drill.config.schedule) : undefined;
      const objectives = { rtoMs: drill.config.objectives.rto, rpoMs: drill.config.objectives.rpo };
      const record: DrillRecord = {
        at: started,
        drill: drill.name,
        set: set.name,
        environment: set.environment,
        target: target.name,
        workflowId,
        runId,
        outcome: 'failed',
        objectives,
      };
      try {
        const { copies, keyCheck } = await rb.step('find the newest verified copy', () =>
          listCopiesWithKey(rb, set, secrets),
        );
        const copy = pickCopy(set, copies, rb.input.copy, true);
        requireKey(set, copy, keyCheck);
        record.copy = copy.id;
        record.rpoMs = elapsed(copy.dataTimestamp, started);

        let path = copyPath(set, copy);
        const names = [copy.file, ...(copy.kind === 'files' ? [`${copy.id}.sha256sums`] : [])];
        const removeBrought = () =>
          rb.on(target).run(`rm -f ${names.map((n) => quote(`${drill.dir}/${n}`)).join(' ')}`);
        if (target.name !== set.host.name) {
          await rb.teardown(`remove ${copy.id} from ${target.name} if the drill stops`, removeBrought);
          await rb.step(`bring ${copy.id} to ${target.name}`, async () => {
            await rb.on(target).$`mkdir -p ${drill.dir}`;
            for (const name of names) {
              await rb.transfer(
                set.host,
                `${set.dir}/${name}`,
                target,
                `${drill.dir}/${name}`,
                name === copy.file ? copy.sha256 : undefined,
              );
            }
          });
          path = `${drill.dir}/${copy.file}`;
        }
        const work = `${drill.dir}/.${scratchDatabase(runId)}`;
        const into: RestoreTarget =
          set.config.kind === 'postgres'
            ? { database: drill.config.target.database!, via: 'postgres', work }
            : { dir: `${drill.dir}/restored`, work };
        const where = `${target.name}:${into.database ?? into.dir}`;
        // A drill restores only into a database (or dir) of its own: one that is there already is refused, never
        // overwritten — and so never dropped by this drill's teardown.
        await rb.step(`check ${where} is free`, () =>
          onHost(
            rb,
            target,
            into.database
              ? absentDatabaseScript({ database: into.database, via: 'postgres', pg: pgTarget(set) })
              : absentDirScript(into.dir!),
            secrets,
          ),
        );
        const discard = () => onHost(rb, target, kind.discard(set, into), secrets);
        await rb.teardown(`drop ${where} if the drill stops`, discard);
        await rb.step(`restore ${copy.id} into ${where}`, () =>
          onHost(
            rb,
            target,
            kind.restore(set, path, copy, into, {
              check: { id: copy.id, sha256: copy.sha256, bytes: copy.bytes, keyCheck: copy.encryption?.keyCheck },
            }),
            secrets,
          ),
        );

        const app = drill.config.app;
        const values: Record<string, string> = {
          database: into.database ?? '',
          port: String(app?.port ?? ''),
          host: target.name,
          address: target.address,
          dir: into.dir ?? drill.dir,
          drill: drill.name,
          set: set.name,
        };
        const fill = (template: string) => fillTemplate(template, (name) => quote(values[name] ?? ''));
        // The app's health window opens when it is started, so time lost earlier (a worker's crash) is not its.
        const appStarted = now();
        if (app) {
          await rb.teardown(`stop the app on ${target.name} if the drill stops`, () =>
            rb.on(target).run(fill(app.stop)),
          );
          await rb.step(`start the app on ${target.name}`, () => rb.on(target).run(fill(app.start)));
        }
        await rb.step(`smoke checks (${drill.config.smoke.length})`, async () => {
          for (const check of drill.config.smoke) {
            const left = Math.max(1_000, drill.config.healthTimeout - elapsed(appStarted));
            if ('http' in check) {
              await rb.probe({
                url: `http://${target.address}:${app!.port}${check.http.path}`,
                expectStatus: check.http.expectStatus,
                expectBody: check.http.expectBody,
                deadlineMs: left,
              });
            } else {
              await onHost(rb, target, smokeCommandScript(fill(check.command), left / 1_000));
            }
          }
        });
        const healthyAt = now();
        record.rtoMs = elapsed(started, healthyAt);

        await rb.step(`tear down ${where}`, async () => {
          if (app) await rb.on(target).run(fill(app.stop));
          await discard();
          if (path !== copyPath(set, copy)) await removeBrought();
        });
        rb.release();

        const over = judgeObjectives(record, objectives);
        Object.assign(record, { outcome: 'passed', met: over.length === 0 });
        await logDrill(record, maxAge);
        rb.result({ ...record, rto: formatMs(record.rtoMs), rpo: formatMs(record.rpoMs) });
        rb.notify(
          `${over.length ? '⚠️' : '🧯'} drill ${drill.name}: RTO ${formatMs(record.rtoMs)}` +
            `${objectives.rtoMs !== undefined ? ` (objective ${formatMs(objectives.rtoMs)})` : ''}, RPO ${formatMs(record.rpoMs)}` +
            `${objectives.rpoMs !== undefined ? ` (objective ${formatMs(objectives.rpoMs)})` : ''}`,
        );
        if (over.length) throw checkFailed('ObjectivesMissed', `drill ${drill.name}: ${over.join('; ')}`);
      } catch (err) {
        if (record.outcome === 'failed') {
          record.error = describeError(err);
          rb.result({ ...record, rto: formatMs(record.rtoMs), rpo: formatMs(record.rpoMs) });
          await CancellationScope.nonCancellable(() => logDrill(record, maxAge));
        }
        throw err;
      }
    });
  },
);

/** Appends the drill to the drill log; a log that cannot be written does not change the drill's outcome. */
async function logDrill(record: DrillRecord, maxAgeMs?: number): Promise<void> {
  recordDrill(record, maxAgeMs);
  try {
    await records.drillLog.executeWithOptions({ summary: `drill log · ${record.drill}` }, [record]);
  } catch {
    // the run's result and Slack still carry the record
  }
}
