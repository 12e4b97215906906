import { StepsInputSchema, type StepsInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';

/**
 * An ad-hoc procedure given as data: named steps, each a command line on the target hosts with an optional undo.
 * A step that fails — or a cancellation, or the run's timeout — rolls back the completed steps, newest first.
 *
 * `runway run steps --input '{"environment":"staging","role":"web","steps":[{"name":"stop","run":"…","undo":"…"}]}'`
 */
export const steps = defineRunbook(
  { description: 'an ad-hoc procedure of command lines with undos, rolled back on failure', input: StepsInputSchema },
  async function steps(input) {
    return runbook<StepsInput>('steps', input, async (rb) => {
      const { role, hosts } = rb.input;
      const targets = hosts ? hosts.map((name) => rb.host(name)) : rb.hosts(role);
      for (const step of rb.input.steps) {
        const { undo } = step;
        await rb.step(step.name, () => rb.on(targets).run(step.run), {
          undo: undo ? () => rb.on(targets).run(undo) : undefined,
          retry: step.retry,
          timeoutMs: step.timeout,
        });
      }
    });
  },
);
