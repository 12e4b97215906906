/**
 * Records the certificate histories the replay test checks runbook changes against: `npm run record-histories:certs`.
 * A check that passes and one that fails (an expired certificate); a renewal through pebble installed on two load
 * balancers, and one rolled back because the reload left the old certificate served — run by the shipped runbooks
 * against real nginx with TLS on sandbox load balancers and an ephemeral server of their own. Re-record only on purpose.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunwayClient } from '../../client/lib';
import { startTestServer } from '../../sandbox/test-server';
import { bundleRunbooks } from '../../worker';
import { startCertWorld, type CertWorld } from './cert-world';
import { startRenewWorld, type RenewWorld } from './renew-world';
import { saveHistory } from './save-history';

const RUNS = [
  { name: 'cert-check', input: { names: ['site', 'soon'] }, ok: true },
  { name: 'cert-check-failed', input: { names: ['old', 'mixed'] }, ok: false },
];
const RENEWALS = [
  { name: 'cert-renew', input: { certificate: 'site', actor: 'recorder' }, ok: true },
  { name: 'cert-renew-rolled-back', input: { certificate: 'stale', actor: 'recorder' }, ok: false },
];

async function record(runway: RunwayClient, runbook: string, runs: typeof RUNS | typeof RENEWALS): Promise<void> {
  for (const run of runs) {
    const handle = await runway.start(runbook, run.input);
    const outcome = await runway.wait(handle);
    if ((outcome.exitCode === 0) !== run.ok) throw new Error(`${run.name}: ${outcome.status}: ${outcome.message}`);
    console.log(`${run.name}: ${outcome.status} (${await saveHistory(run.name, handle)} events)`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'runway-record-certs-'));
  const env = await startTestServer();
  let w: CertWorld | undefined;
  let renewals: RenewWorld | undefined;
  let runway: RunwayClient | undefined;
  try {
    process.env.RUNWAY_TEST_TEMPORAL = env.address;
    const bundle = join(dir, 'bundle.js');
    writeFileSync(bundle, (await bundleRunbooks()).code);
    process.env.RUNWAY_TEST_BUNDLE = bundle;
    process.env.TMPDIR = dir;
    w = await startCertWorld('record-certs');
    runway = await RunwayClient.connect({ configFile: w.world.configFile });
    await record(runway, 'certCheck', RUNS);
    renewals = await startRenewWorld('record-renewals');
    await record(renewals.runway, 'certRenew', RENEWALS);
  } finally {
    await renewals?.stop();
    await runway?.close();
    await w?.stop();
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
