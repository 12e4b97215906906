import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { childWorkflowIds } from '../../client/lib';

/** A payload's bytes as the JSON value they encode (or as text when they are not JSON). */
function decode(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A history as searchable text: every payload decoded in place (inputs, results, failure details, update arguments),
 * everything else as is. Searching the raw history would miss a secret or a name inside an encoded payload.
 */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (key !== 'data') return value;
    if (value instanceof Uint8Array) return decode(Buffer.from(value));
    if (typeof value === 'string') return decode(Buffer.from(value, 'base64'));
    if (typeof value === 'object' && value !== null && (value as { type?: string }).type === 'Buffer') {
      return decode(Buffer.from((value as { data: number[] }).data));
    }
    return value;
  });
}

/** Events in a run's own history and in each child workflow's it started, largest first. */
export async function historySizes(
  client: WorkflowClient,
  handle: WorkflowHandle,
): Promise<Array<{ workflowId: string; events: number }>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const sizes = [{ workflowId: handle.workflowId, events: events.length }];
  for (const id of childWorkflowIds(events)) {
    sizes.push({ workflowId: id, events: (await client.getHandle(id).fetchHistory()).events?.length ?? 0 });
  }
  return sizes.sort((a, b) => b.events - a.events);
}
