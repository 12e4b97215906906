/**
 * `npm run bootstrap` (and `pretest`): makes sure the tools Runway's demo and tests run for real are here — the
 * temporal CLI, pebble (the ACME test server), OpenSSH, nginx's and PostgreSQL's packages — installing them when it can, or saying exactly what to install.
 */
import { ensurePackages, ensurePebble, ensureTemporal, TEST_NEEDS } from './bootstrap';

try {
  ensurePackages(TEST_NEEDS);
  const temporal = ensureTemporal();
  ensurePebble();
  if (process.argv.includes('--verbose')) console.error(`runway: temporal CLI at ${temporal}`);
} catch (err) {
  console.error(`runway bootstrap: ${(err as Error).message}`);
  process.exit(2);
}
