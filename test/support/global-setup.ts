import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../sandbox/test-server';
import { ROOT } from '../../sandbox/bootstrap';
import { bundleRunbooks, installRuntime } from '../../worker';

/**
 * Starts one real Temporal dev server for the whole jest run — `@temporalio/testing` pointed at the temporal CLI found
 * (or built) by Runway's bootstrap, since its own download cannot work here — and bundles the test runbooks once.
 */
export default async function globalSetup(): Promise<void> {
  installRuntime();
  const env = await startTestServer();
  (globalThis as { __runwayEnv?: Awaited<ReturnType<typeof startTestServer>> }).__runwayEnv = env;
  process.env.RUNWAY_TEST_TEMPORAL = env.address;
  const dir = join(ROOT, '.runway', 'test');
  mkdirSync(dir, { recursive: true });
  const bundle = await bundleRunbooks(join(ROOT, 'test', 'support', 'runbooks.ts'));
  const bundlePath = join(dir, 'runbooks-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.RUNWAY_TEST_BUNDLE = bundlePath;
  // The shipped runbooks, bundled once for the worker processes tests spawn (and kill): they start in a second.
  const shippedPath = join(dir, 'shipped-bundle.js');
  writeFileSync(shippedPath, (await bundleRunbooks()).code);
  process.env.RUNWAY_TEST_SHIPPED_BUNDLE = shippedPath;
}
