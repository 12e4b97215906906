import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes';
import { ensureTemporal } from './bootstrap';
import { DEV_SERVER_ARGS } from './dev-server';

/**
 * An ephemeral dev server for tests, benchmarks and history recording: `@temporalio/testing` pointed at the temporal
 * CLI Runway's bootstrap found (its own download cannot be fetched here), in memory, on a free port, with Runway's
 * search attributes and the same dynamic config as `runway dev`.
 */
export function startTestServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporal() },
      ip: '127.0.0.1',
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: DEV_SERVER_ARGS,
    },
  });
}
