import type { temporal } from '@temporalio/proto';

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
