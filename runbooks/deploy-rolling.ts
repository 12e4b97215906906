import type { DeployInput, DeployParams } from '../config/inputs';
import { runbook, type RunReport } from '../workflows';
import { deployContext, invalid } from './deploy/context';
import { rolling } from './deploy/rolling';

/** A rolling deploy (see `deploy/rolling.ts`); refuses a service configured for another strategy. */
export async function deployRolling(input: DeployParams): Promise<RunReport> {
  return runbook<DeployInput>('deployRolling', input, async (rb) => {
    const ctx = deployContext(rb);
    if (ctx.svc.strategy !== 'rolling') throw invalid(`${ctx.svc.name} is configured for ${ctx.svc.strategy} deploys`);
    await rolling(ctx, { version: rb.input.version, upload: true });
  });
}
