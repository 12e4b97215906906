import { DEV_SERVER_ARGS } from '../../client/dev-server';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureTemporal, ROOT } from '../../client/bootstrap';
import { bundleRunbooks } from '../../worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

/**
 * Starts one real Temporal dev server for the whole jest run — `@temporalio/testing` pointed at the temporal CLI found
 * (or built) by Runway's bootstrap, since its own download cannot work here — and bundles the test runbooks once.
 */
export default async function globalSetup(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = ensureTemporal();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporal },
      ip: '127.0.0.1',
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: DEV_SERVER_ARGS,
    },
  });
  (globalThis as { __runwayEnv?: TestWorkflowEnvironment }).__runwayEnv = env;
  process.env.RUNWAY_TEST_TEMPORAL = env.address;
  const dir = join(ROOT, '.runway', 'test');
  mkdirSync(dir, { recursive: true });
  const bundle = await bundleRunbooks(join(ROOT, 'test', 'support', 'runbooks.ts'));
  const bundlePath = join(dir, 'runbooks-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.RUNWAY_TEST_BUNDLE = bundlePath;
}
