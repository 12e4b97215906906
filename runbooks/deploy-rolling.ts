import { DeployInputSchema, type DeployInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';
import { deployContext, invalid } from './deploy/context';
import { rolling } from './deploy/rolling';

/** A rolling deploy (see `deploy/rolling.ts`); refuses a service configured for another strategy. */
export const deployRolling = defineRunbook(
  {
    description: 'deploy a version rolling, batch by batch; refuses a service configured otherwise',
    input: DeployInputSchema,
  },
  async function deployRolling(input) {
    return runbook<DeployInput>('deployRolling', input, async (rb) => {
      const ctx = deployContext(rb);
      if (ctx.svc.strategy !== 'rolling') throw invalid(`${ctx.name} is configured for ${ctx.svc.strategy} deploys`);
      await rolling(ctx, { version: rb.input.version, upload: true });
    });
  },
);
