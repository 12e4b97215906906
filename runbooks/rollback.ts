import { RollbackInputSchema, type RollbackInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';
import { blueGreen } from './deploy/blue-green';
import { deployContext } from './deploy/context';
import { rolling } from './deploy/rolling';

/**
 * Rolls a service back to the previous release — or to `to`, a release still on every host — through the same
 * procedure as a deploy (health gate, approval, atomic traffic switch), without uploading anything. The release's
 * directory, with the settings it was deployed with, is exactly as that deploy left it. Holds the same lock as deploys.
 */
export const rollback = defineRunbook(
  {
    description: 'roll a service back to the previous release, or to one still on its hosts',
    input: RollbackInputSchema,
  },
  async function rollback(input) {
    return runbook<RollbackInput>('rollback', input, async (rb) => {
      const ctx = deployContext(rb);
      const target = { version: rb.input.to, upload: false };
      await (ctx.svc.strategy === 'blue-green' ? blueGreen(ctx, target) : rolling(ctx, target));
    });
  },
);
