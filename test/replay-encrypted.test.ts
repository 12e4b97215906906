import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { dataConverterOf } from '../config/encryption';
import { bundleRunbooks, RUNBOOKS_PATH } from '../worker';
import { TEST_KEY_FILE } from './support/encryption';
import './support/harness';

const DIR = join(__dirname, 'histories');
const PLAIN = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const ENCRYPTED = readdirSync(join(DIR, 'encrypted')).map((f) => `encrypted/${f}`);
const history = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8'));
const workflowIdOf = (h: { events: Array<{ workflowExecutionStartedEventAttributes?: { workflowId?: string } }> }) =>
  h.events[0].workflowExecutionStartedEventAttributes?.workflowId ?? 'replay';

/**
 * Turning encryption on breaks no run in flight: every recorded history replays on a worker with the codec and the
 * encrypting failure converter (their payloads are clear and pass through), and the encrypted ones recorded with the
 * test key (`test/support/record-encrypted-histories.ts`) replay with it — and not without it.
 */
describe('replay with payload encryption configured', () => {
  const encryption = { keyId: 'k1', keys: { k1: { file: TEST_KEY_FILE } } };
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    bundle = await bundleRunbooks(RUNBOOKS_PATH, { encodeFailures: true });
  });
  const replay = (file: string, dataConverter = dataConverterOf({ encryption } as never)) => {
    const h = history(file);
    return Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, h, workflowIdOf(h));
  };

  it.each(PLAIN)('%s (recorded in clear) replays with the codec configured', async (file) => {
    await expect(replay(file)).resolves.toBeUndefined();
  });

  it.each(ENCRYPTED)('%s (recorded encrypted) replays with the key', async (file) => {
    expect(JSON.stringify(history(file))).not.toContain('sealed');
    await expect(replay(file)).resolves.toBeUndefined();
  });

  it('an encrypted history does not replay without its key', async () => {
    const rotated = { keyId: 'k2', keys: { k2: { file: TEST_KEY_FILE } } };
    await expect(replay('encrypted/exec.json', dataConverterOf({ encryption: rotated } as never))).rejects.toThrow();
    await expect(replay('encrypted/exec.json', dataConverterOf({} as never))).rejects.toThrow(
      /a payload was encrypted with key \W*k1\W*, and temporal.encryption is not set here/,
    );
  });
});
