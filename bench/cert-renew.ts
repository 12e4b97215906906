/**
 * A certificate renewal by Runway beside the same renewal by certbot, against the same ACME server (pebble) for the
 * same two names, on the same two nginx load balancers: `npm run bench:certs -- --rounds 5`.
 *
 * - `certbot`: `certbot certonly --webroot` alone (it writes the challenge files straight into both webroots, which
 *   are on this machine), the way a cron job obtains a certificate;
 * - `certbot+hook`: the same with a `--deploy-hook` that does what a renewal script then does: copy the certificate
 *   and key to both load balancers, `nginx -t`, reload;
 * - `runway`: `certRenew --force` from start() to its outcome: a handshake with both endpoints, the renewal window
 *   asked (ARI), both hosts checked, the order, challenges over ssh, a new key staged on both hosts over ssh, backup,
 *   install, test, reload and the proof on the wire on both endpoints.
 *
 * Prints a Markdown table (median seconds and the ratio to certbot+hook) and writes `.runway/bench/certs-<time>.json`.
 * A measurement, not a test: every run must renew (checked: a new certificate served on both endpoints), never how fast.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensurePackages, ROOT, TEST_NEEDS } from '../sandbox/bootstrap';
import { startTestServer } from '../sandbox/test-server';
import { bundleRunbooks, installRuntime } from '../worker';
import { startRenewWorld, type RenewWorld } from '../test/support/renew-world';
import { runBench, type Undo } from './cleanup';
import { machineFacts, writeJson } from './report';

type Side = 'certbot' | 'certbot+hook' | 'runway';
const SIDES: Side[] = ['certbot', 'certbot+hook', 'runway'];

function rounds(): number {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
  const n = Number(values.rounds);
  if (!Number.isInteger(n) || n < 1 || n > 20)
    throw new Error(`--rounds: expected an integer 1..20, got ${values.rounds}`);
  return n;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The hook a renewal script runs after certbot: both load balancers get the files, then test and reload. */
function deployHook(w: RenewWorld, dir: string, user: string, done: string): string {
  const lines = ['#!/bin/sh', 'set -e', 'live="$RENEWED_LINEAGE"'];
  for (const lb of [1, 2]) {
    const [crt, key, ctl] = [w.file(lb, 'site', 'crt'), w.file(lb, 'site', 'key'), join(w.hostDir(lb), 'nginx-ctl')];
    lines.push(
      `install -m 644 -o ${user} "$live/fullchain.pem" ${crt}.tmp && mv -f ${crt}.tmp ${crt}`,
      `install -m 600 -o ${user} "$live/privkey.pem" ${key}.tmp && mv -f ${key}.tmp ${key}`,
      `runuser -u ${user} -- sh ${ctl} test && runuser -u ${user} -- sh ${ctl} reload`,
    );
  }
  lines.push(`touch ${done}`);
  const hook = join(dir, 'deploy-hook.sh');
  writeFileSync(hook, `${lines.join('\n')}\n`, { mode: 0o755 });
  return hook;
}

async function main(undo: Undo): Promise<void> {
  const n = rounds();
  const loadavgAtStart = loadavg();
  ensurePackages([...TEST_NEEDS, { command: 'certbot', pkg: 'certbot' }]);
  if (process.getuid?.() !== 0) throw new Error('run this benchmark as root: certbot writes into both webroots');
  installRuntime();
  const env = await startTestServer();
  undo.push(() => env.teardown());
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-certs-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  process.env.RUNWAY_TEST_TEMPORAL = env.address;
  const bundle = join(dir, 'bundle.js');
  writeFileSync(bundle, (await bundleRunbooks()).code);
  process.env.RUNWAY_TEST_BUNDLE = bundle;
  const w = await startRenewWorld('bench-certs');
  undo.push(() => w.stop());
  const user = w.world.sandbox.user;
  const hookDone = join(dir, 'hook-done');
  const hook = deployHook(w, dir, user, hookDone);
  const webroots = [1, 2].map((lb) => join(w.hostDir(lb), 'www'));

  /**
   * Served on both endpoints, and different from what was served before: the renewal happened. nginx replaces its
   * workers after a reload, so a few seconds are allowed (outside the timed part).
   */
  const renewedSince = async (before: string) => {
    for (let tries = 50; ; tries--) {
      const prints = new Set((await w.served('site')).map((c) => c.fingerprint));
      if (prints.size === 1 && !prints.has(before)) return [...prints][0];
      if (tries === 0) throw new Error(`not renewed on both endpoints: ${[...prints]}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const certbot = (withHook: boolean) => {
    const args = [
      'certonly',
      '--non-interactive',
      '--agree-tos',
      '-m',
      'ops@site.test',
      '--server',
      w.pebble.directoryUrl,
    ];
    args.push('--config-dir', join(dir, 'le'), '--work-dir', join(dir, 'le-work'), '--logs-dir', join(dir, 'le-logs'));
    args.push('--cert-name', 'site', '--force-renewal', '--key-type', 'ecdsa', '--webroot');
    args.push('-w', webroots[0], '-d', 'site.test', '-w', webroots[1], '-d', 'www.site.test');
    if (withHook) args.push('--deploy-hook', hook);
    rmSync(hookDone, { force: true });
    const done = spawnSync('certbot', args, {
      encoding: 'utf8',
      env: { ...process.env, REQUESTS_CA_BUNDLE: w.pebble.caFile },
    });
    // certbot made the challenge dirs as root: give them back to the hosts' login user for Runway's runs.
    execFileSync('chown', ['-R', `${user}:`, ...webroots]);
    // certbot reports a failed deploy hook as a warning and exits 0: the hook's last line leaves a mark instead.
    if (done.status !== 0 || (withHook && !existsSync(hookDone))) {
      throw new Error(`certbot failed (${done.status}): ${done.stderr.slice(-2000)}`);
    }
  };
  const run: Record<Side, () => Promise<void>> = {
    certbot: async () => certbot(false),
    'certbot+hook': async () => certbot(true),
    runway: async () => {
      const outcome = await w.runway.wait(await w.runway.start('certRenew', { certificate: 'site', force: true }));
      if (outcome.exitCode !== 0) throw new Error(`certRenew ${outcome.status}: ${outcome.message}`);
    },
  };

  let served = (await w.served('site'))[0].fingerprint;
  const timed: Array<{ side: Side; round: number; seconds: number }> = [];
  for (let round = 0; round <= n; round++) {
    // Round 0 warms up each side (certbot's account, Runway's connections); later rounds rotate who goes first.
    const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]);
    for (const side of order) {
      const started = process.hrtime.bigint();
      await run[side]();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (side !== 'certbot') served = await renewedSince(served);
      if (round > 0) timed.push({ side, round, seconds });
      console.error(`${round ? `round ${round}/${n}` : 'warm-up'}: ${side}: ${seconds.toFixed(2)} s`);
    }
  }

  const results = SIDES.map((side) => ({
    side,
    median: median(timed.filter((t) => t.side === side).map((t) => t.seconds)),
  }));
  const baseline = results.find((r) => r.side === 'certbot+hook')!.median;
  console.log(`\n## One renewal of site.test + www.site.test on two nginx load balancers, median of ${n} round(s)\n`);
  console.log('| side | what it does | median s | × certbot+hook |');
  console.log('|---|---|---:|---:|');
  const what: Record<Side, string> = {
    certbot: 'certonly --webroot: order, challenges, key, certificate in /etc-style dirs',
    'certbot+hook': 'the same + copy to both LBs, nginx -t, reload (a renewal script)',
    runway: 'certRenew: check, ARI, preflight, order, challenges and staging over ssh, install, test, reload, proof',
  };
  for (const r of results)
    console.log(`| ${r.side} | ${what[r.side]} | ${r.median.toFixed(2)} | ${(r.median / baseline).toFixed(2)} |`);
  const machine = { ...machineFacts(), loadavgAtStart };
  const file = writeJson(join(ROOT, '.runway', 'bench'), 'certs', {
    date: new Date().toISOString(),
    rounds: n,
    machine,
    results,
    timed,
  });
  console.log(`\nJSON: ${file}`);
}

runBench(main);
