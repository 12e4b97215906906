import { StepsInputSchema, type StepsInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';

/**
 * An ad-hoc procedure given as data: named steps, each a command line on the target hosts with an optional undo, and
 * — with `approval: true` in an environment that requires approvals — a gate before it. A step that fails (or a
 * rejection, a cancellation, the run's timeout) rolls back the completed steps, newest first.
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
        if (step.approval) await rb.gate(step.name);
        await rb.step(step.name, () => rb.on(targets).run(step.run), {
          undo: undo ? () => rb.on(targets).run(undo) : undefined,
          retry: step.retry,
          timeoutMs: step.timeout,
        });
      }
    });
  },
);
