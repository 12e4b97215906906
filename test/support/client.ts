import { Client, Connection } from '@temporalio/client';
import { temporalAddress, type TestWorld } from './harness';

/** A plain Temporal client on the test server, for starting probe workflows the CLI does not know. */
export async function clientFor(_world: TestWorld): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return { client: new Client({ connection }), close: () => connection.close() };
}
