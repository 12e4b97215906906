import type { temporal } from '@temporalio/proto';

/**
 * A history as searchable text: every payload's bytes decoded (they are JSON), everything else as is. Searching the
 * raw history would miss a secret inside an encoded input, result or failure detail.
 */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (key === 'data' && value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
    if (
      key === 'data' &&
      typeof value === 'object' &&
      value !== null &&
      (value as { type?: string }).type === 'Buffer'
    ) {
      return Buffer.from((value as { data: number[] }).data).toString('utf8');
    }
    return value;
  });
}
