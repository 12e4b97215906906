import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SandboxPostgres } from '../../sandbox/postgres';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __runwayEnv?: TestWorkflowEnvironment; __runwayPostgres?: SandboxPostgres };
  await Promise.all([state.__runwayEnv?.teardown(), state.__runwayPostgres?.stop()]);
  // The cluster's data (about 55 MB) goes with it: each run starts a fresh one.
  const pg = state.__runwayPostgres;
  if (pg) rmSync(dirname(pg.dataDir), { recursive: true, force: true });
}
