/**
 * The durable engine runbooks are written with. Deterministic code only: no Node built-ins, no I/O, no clock or
 * randomness but Temporal's — every effect is an activity. A runbook is one file exporting `defineRunbook(...)` and
 * one line in `runbooks/index.ts` (the registry). Plans recorded by older workers are read in today's shape
 * (`recorded-plan.ts`), so runs in flight replay after an upgrade.
 *
 * ```ts
 * export async function restartApi(input: RestartInput): Promise<RunReport> {
 *   return runbook<RestartInput>('restart-api', input, async (rb) => {
 *     for (const batch of rb.batches(rb.hosts('web'), '50%')) {
 *       await rb.step(`restart ${batch.map((h) => h.name)}`, () => rb.on(batch).$`systemctl restart ${rb.input.unit}`);
 *     }
 *   });
 * }
 * ```
 * - `$` quotes every interpolated value (POSIX single quotes); arrays become several words; `raw()` splices text.
 * - A non-zero exit rejects (`.nothrow()` opts out); transport errors are retried by the activity; a command is
 *   journalled on its host so a retry re-attaches instead of running it twice.
 * - `step(name, run, { undo })` is a saga: on failure, cancellation or timeout the undos run newest first, where
 *   cancellation cannot reach them; an undo that keeps failing ends the run `rollback-incomplete`.
 */
export { runbook, type RunInput } from './runbook';
export { defineRunbook, isRegisteredRunbook, type RegisteredRunbook, type RunbookInfo } from './define';
export { Runbook } from './context';
export { Command, Remote } from './command';
export type { StepOptions } from './saga';
export { raw, quote, buildCommand, type ShellValue } from '../core/quote';
export { progressQuery, type RunProgress, type RunReport, type RunStatus, type StepProgress } from './progress';
export { FailureType } from './errors';
export * from '../core/plan';
