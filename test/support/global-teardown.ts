import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SandboxPostgres } from '../../sandbox/postgres';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __runwayEnv?: TestWorkflowEnvironment; __runwayPostgres?: SandboxPostgres };
  await Promise.all([state.__runwayEnv?.teardown(), state.__runwayPostgres?.stop()]);
}
