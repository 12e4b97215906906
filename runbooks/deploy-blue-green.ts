import { DeployInputSchema, type DeployInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';
import { blueGreen } from './deploy/blue-green';
import { deployContext, invalid } from './deploy/context';

/** A blue-green deploy (see `deploy/blue-green.ts`); refuses a service configured for another strategy. */
export const deployBlueGreen = defineRunbook(
  { description: 'deploy a version blue-green; refuses a service configured otherwise', input: DeployInputSchema },
  async function deployBlueGreen(input) {
    return runbook<DeployInput>('deployBlueGreen', input, async (rb) => {
      const ctx = deployContext(rb);
      if (ctx.svc.strategy !== 'blue-green') throw invalid(`${ctx.name} is configured for ${ctx.svc.strategy} deploys`);
      await blueGreen(ctx, { version: rb.input.version, upload: true });
    });
  },
);
