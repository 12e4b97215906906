import { join } from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

/** The test key of the fixtures (a test key, not a secret): the encrypted replay history was recorded with it. */
export const TEST_KEY_FILE = join(__dirname, '..', 'fixtures', 'payload-key-k1.b64');

/** A payload in proto3 JSON, as in a history file or the codec protocol: metadata values and data in base64. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** A history as the plain JSON a history file holds. */
export function historyJson(history: temporal.api.history.v1.IHistory): unknown {
  return JSON.parse(historyToJSON(history));
}

/** Every payload inside a JSON value, with the path of keys that leads to it (to tell search attributes apart). */
export function payloadsOf(value: unknown, path: string[] = []): Array<{ path: string[]; payload: JsonPayload }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => payloadsOf(v, [...path, String(i)]));
  if (!value || typeof value !== 'object') return [];
  const metadata = (value as JsonPayload).metadata;
  if (metadata && typeof metadata === 'object' && typeof metadata.encoding === 'string') {
    return [{ path, payload: value as JsonPayload }];
  }
  return Object.entries(value).flatMap(([k, v]) => payloadsOf(v, [...path, k]));
}

/** A payload's `encoding` metadata in words. */
export function encodingOf(payload: JsonPayload): string {
  return Buffer.from(payload.metadata?.encoding ?? '', 'base64').toString('utf8');
}

/** The same JSON value with every payload decoded by `codec` (in place of the encrypted one). */
export async function decodeJson<T>(value: T, codec: PayloadCodec): Promise<T> {
  const copy = structuredClone(value);
  for (const { payload } of payloadsOf(copy)) {
    const [decoded] = await codec.decode([fromJson(payload)]);
    Object.assign(payload, toJson(decoded));
  }
  return copy;
}

function fromJson(p: JsonPayload) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }): JsonPayload {
  const b64 = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data),
  };
}
