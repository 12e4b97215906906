import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../sandbox/test-server';
import { ROOT } from '../../sandbox/bootstrap';
import { startPostgres, type SandboxPostgres } from '../../sandbox/postgres';
import { bundleRunbooks, installRuntime } from '../../worker';
import { exportPostgresEnv } from './postgres';

/**
 * Starts one real Temporal dev server for the whole jest run — `@temporalio/testing` pointed at the temporal CLI found
 * (or built) by Runway's bootstrap, since its own download cannot work here — and one PostgreSQL cluster (a fresh temp
 * dir and port each run, so one left by a killed run is in nobody's way), and bundles the test runbooks once.
 */
export default async function globalSetup(): Promise<void> {
  installRuntime();
  const [env, pg] = await Promise.all([
    startTestServer(),
    startPostgres({ dir: mkdtempSync(join(tmpdir(), 'runway-pg-')) }),
  ]);
  const state = globalThis as { __runwayEnv?: typeof env; __runwayPostgres?: SandboxPostgres };
  state.__runwayEnv = env;
  state.__runwayPostgres = pg;
  process.env.RUNWAY_TEST_TEMPORAL = env.address;
  exportPostgresEnv(pg);
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
