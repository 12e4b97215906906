import path from 'node:path';
import { postgresClient, type PostgresClient, type SandboxPostgres } from '../../sandbox/postgres';

/** Exports the environment {@link testPostgres} rebuilds a cluster's handle from (the jest setup's, or a recorder's). */
export function exportPostgresEnv(pg: PostgresClient): void {
  process.env.RUNWAY_TEST_PG_SOCKET = pg.socketDir;
  process.env.RUNWAY_TEST_PG_PORT = String(pg.port);
  process.env.RUNWAY_TEST_PG_USER = pg.user;
  process.env.RUNWAY_TEST_PG_BIN = pg.bin;
}

/**
 * The jest run's PostgreSQL cluster (started by the global setup), rebuilt from the environment it exported. Tests
 * share it, so each should create databases of its own; `stop` is a no-op (the global teardown stops it).
 */
export function testPostgres(): SandboxPostgres {
  const { RUNWAY_TEST_PG_SOCKET, RUNWAY_TEST_PG_PORT, RUNWAY_TEST_PG_USER, RUNWAY_TEST_PG_BIN } = process.env;
  if (!RUNWAY_TEST_PG_SOCKET || !RUNWAY_TEST_PG_PORT || !RUNWAY_TEST_PG_USER || !RUNWAY_TEST_PG_BIN) {
    throw new Error('RUNWAY_TEST_PG_* is not set: run the tests with `npm test` (jest global setup starts PostgreSQL)');
  }
  const client = postgresClient({
    bin: RUNWAY_TEST_PG_BIN,
    socketDir: RUNWAY_TEST_PG_SOCKET,
    port: Number(RUNWAY_TEST_PG_PORT),
    user: RUNWAY_TEST_PG_USER,
  });
  // startPostgres puts data/ beside socket/.
  return { ...client, dataDir: path.join(path.dirname(RUNWAY_TEST_PG_SOCKET), 'data'), stop: async () => undefined };
}
