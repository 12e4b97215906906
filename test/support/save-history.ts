import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { ROOT } from '../../sandbox/bootstrap';

/** Where the replay test (test/replay.test.ts) reads the recorded histories from. */
export const HISTORIES = join(ROOT, 'test', 'histories');

/**
 * Writes a run's history to `test/histories/<name>.json` in the JSON the replay test reads (one space of indent, so
 * a re-recording diffs event by event), and resolves its event count. Shared by every `record-histories*` script.
 */
export async function saveHistory(name: string, handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES, { recursive: true });
  writeFileSync(join(HISTORIES, `${name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
  return history.events?.length ?? 0;
}
