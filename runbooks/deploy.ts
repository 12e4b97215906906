import { DeployInputSchema, type DeployInput } from '../config/inputs';
import { defineRunbook, runbook } from '../workflows';
import { blueGreen } from './deploy/blue-green';
import { deployContext } from './deploy/context';
import { rolling } from './deploy/rolling';

/**
 * Deploys a version of a service with the strategy its config names — blue-green or rolling. Started by
 * `runway deploy api 1.4.2 -e production`, or from the Temporal CLI/UI with workflow id `deploy:<env>:<service>`:
 * that id is the lock, so two deploys of one service to one environment never run at once.
 */
export const deploy = defineRunbook(
  {
    description: 'deploy a version of a service with its configured strategy (blue-green or rolling)',
    input: DeployInputSchema,
  },
  async function deploy(input) {
    return runbook<DeployInput>('deploy', input, async (rb) => {
      const ctx = deployContext(rb);
      const target = { version: rb.input.version, upload: true };
      await (ctx.svc.strategy === 'blue-green' ? blueGreen(ctx, target) : rolling(ctx, target));
    });
  },
);
