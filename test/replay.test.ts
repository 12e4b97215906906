import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleRunbooks } from '../worker';
import './support/harness';

const DIR = join(__dirname, 'histories');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));

/**
 * Every recorded history replays against the current runbooks: a change that would break runs in flight fails
 * here (and belongs behind `patched()`). Record new ones with `npm run record-histories`.
 */
describe('replay of recorded histories', () => {
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    bundle = await bundleRunbooks();
  });

  it('has histories for every shipped runbook', async () => {
    const runbooks = Object.keys(await import('../runbooks'));
    const recorded = new Set(
      FILES.map(
        (f) =>
          JSON.parse(readFileSync(join(DIR, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType
            .name,
      ),
    );
    expect(runbooks.filter((r) => !recorded.has(r))).toEqual([]);
  });

  it.each(FILES)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
    // The recorded workflow id: deploys check that they run under their lock id.
    const workflowId = history.events[0].workflowExecutionStartedEventAttributes.workflowId ?? file;
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });

  it('a runbook change that breaks determinism is caught', async () => {
    const history = JSON.parse(readFileSync(join(DIR, 'steps-rollback.json'), 'utf8'));
    // The same history replayed as if it were the exec runbook: different commands, so it must fail.
    history.events[0].workflowExecutionStartedEventAttributes.workflowType.name = 'exec';
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'tampered')).rejects.toThrow();
  });
});
