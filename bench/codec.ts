import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';

/** The codec alone: microseconds to seal and open one payload the size of a step's result (2 KB output tail). */
export async function codecMicroseconds(codec: PayloadCodec, rounds = 5_000): Promise<number> {
  const payload = defaultPayloadConverter.toPayload({ exitCode: 0, stdoutTail: 'x'.repeat(2048), stderrTail: '' })!;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await codec.decode(await codec.encode([payload]));
  return ((performance.now() - start) * 1000) / rounds;
}

/** How many sealed payloads a run's history holds (each was sealed once and opened at least once). */
export async function sealedPayloads(handle: WorkflowHandle): Promise<number> {
  const json = historyToJSON(await handle.fetchHistory());
  return json.split(Buffer.from('binary/encrypted').toString('base64')).length - 1;
}
