import { ExecInputSchema, type ExecInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';

/**
 * Runs an operator's command line on a role (or named hosts) in batches: each batch runs in parallel, and a batch
 * with a failure stops the run. The command is taken literally, as `ssh host '<command>'` would.
 */
export const exec = defineRunbook(
  { description: 'run a command line on a role or on named hosts, in batches', input: ExecInputSchema },
  async function exec(input) {
    return runbook<ExecInput>('exec', input, async (rb) => {
      const { command, role, hosts, batchSize } = rb.input;
      const targets = hosts ? hosts.map((name) => rb.host(name)) : rb.hosts(role);
      const groups = rb.batches(targets, batchSize);
      for (const [i, batch] of groups.entries()) {
        const name = groups.length > 1 ? `batch ${i + 1}/${groups.length}` : 'exec';
        await rb.step(name, () => rb.on(batch).run(command));
      }
    });
  },
);
