import type { DeployInput, DeployParams } from '../config/inputs';
import { runbook, type RunReport } from '../workflows';
import { blueGreen } from './deploy/blue-green';
import { deployContext, invalid } from './deploy/context';

/** A blue-green deploy (see `deploy/blue-green.ts`); refuses a service configured for another strategy. */
export async function deployBlueGreen(input: DeployParams): Promise<RunReport> {
  return runbook<DeployInput>('deployBlueGreen', input, async (rb) => {
    const ctx = deployContext(rb);
    if (ctx.svc.strategy !== 'blue-green')
      throw invalid(`${ctx.svc.name} is configured for ${ctx.svc.strategy} deploys`);
    await blueGreen(ctx, { version: rb.input.version, upload: true });
  });
}
