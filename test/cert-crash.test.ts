import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome } from '../client/outcome';
import { CrashRig, prng, SEED, stepAt } from './support/crash';
import { waitFor } from './support/harness';
import { startRenewWorld, type RenewWorld } from './support/renew-world';

const TRIALS = 5;

/**
 * The worker SIGKILLed mid-renewal — once between install and reload, then at random moments of 5 forced renewals of
 * the `crash` entry (both load balancers) — and a new worker finishing each run. Every run ends with both load
 * balancers serving one valid certificate, new or old, the same on both, matching the files and key on each host,
 * with no staged file, backup or challenge file left behind.
 */
describe('crash during certificate renewal', () => {
  let w: RenewWorld;
  let rig: CrashRig;
  const random = prng(SEED);

  beforeAll(async () => {
    w = await startRenewWorld('ccrash', { noWorker: true });
    rig = new CrashRig(w.world, w.runway, 90_000);
    await rig.start();
  }, 180_000);
  afterAll(async () => {
    await rig?.kill();
    await w?.stop();
  });

  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  /** One valid certificate served by both LBs, the one in each LB's files, with the key it was issued for. */
  async function consistent(): Promise<string> {
    const served = await w.served('crash');
    expect(new Set(served.map((c) => c.fingerprint)).size).toBe(1);
    for (const c of served) {
      expect(Date.parse(c.notBefore)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(c.notAfter)).toBeGreaterThan(Date.now());
    }
    for (const lb of [1, 2]) {
      const leaf = new X509Certificate(readFileSync(w.file(lb, 'crash', 'crt')));
      expect(leaf.fingerprint256).toBe(served[0].fingerprint);
      expect(leaf.checkPrivateKey(createPrivateKey(readFileSync(w.file(lb, 'crash', 'key'))))).toBe(true);
      const left = readdirSync(join(w.hostDir(lb), 'tls')).filter((f) => /runway-(new|old|absent|tmp)/.test(f));
      expect(left).toEqual([]);
      const challenges = join(w.hostDir(lb), 'www', '.well-known', 'acme-challenge');
      expect(existsSync(challenges) ? readdirSync(challenges) : []).toEqual([]);
    }
    return served[0].serial;
  }

  async function renew(workflowId: string, kill: (started: number) => Promise<number>) {
    const started = Date.now();
    const starting = w.runway.start('certRenew', { certificate: 'crash', force: true, actor: 'crash' }, { workflowId });
    starting.catch(() => undefined);
    const killedAt = await kill(started);
    await rig.crash(workflowId);
    const outcome: Outcome = await rig.outcomeOf(await starting);
    process.stderr.write(
      `${workflowId}: killed at ${killedAt - started} ms in ${stepAt(outcome.report, killedAt)}; ` +
        `${outcome.status} after ${Date.now() - started} ms${outcome.exitCode ? `: ${outcome.message}` : ''}\n`,
    );
    return { outcome, killedAt };
  }

  it('killed between install and reload: the new worker tests, reloads and proves the new certificate', async () => {
    const before = await consistent();
    const oldCrt = [1, 2].map((lb) => sha(w.file(lb, 'crash', 'crt')));
    const { outcome, killedAt } = await renew(`cert-renew:crash-between-${SEED}`, async () => {
      await waitFor(
        'the install on both load balancers',
        () => [1, 2].every((lb, i) => sha(w.file(lb, 'crash', 'crt')) !== oldCrt[i]),
        60_000,
      );
      return Date.now();
    });
    expect(stepAt(outcome.report, killedAt)).toMatch(/^"(test|install on lb-1, lb-2)"|between steps/);
    expect([outcome.status, outcome.message]).toEqual(['succeeded', expect.any(String)]);
    expect(await consistent()).not.toBe(before);
  }, 240_000);

  it(`killed at random moments of ${TRIALS} renewals: always one valid certificate, new or old, never a mix`, async () => {
    process.stderr.write(`certificate crash seed ${SEED} (replay with RUNWAY_CRASH_SEED=${SEED})\n`);
    const started = Date.now();
    const plain = await rig.outcomeOf(
      await w.runway.start(
        'certRenew',
        { certificate: 'crash', force: true },
        { workflowId: `cert-renew:crash-plain-${SEED}` },
      ),
    );
    expect([plain.status, plain.message]).toEqual(['succeeded', expect.any(String)]);
    const span = Date.now() - started;
    await consistent();
    const outcomes: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const before = await consistent();
      const delay = Math.floor(random() * span);
      const { outcome } = await renew(`cert-renew:crash-${trial}-${SEED}`, async (at) => {
        await new Promise((r) => setTimeout(r, Math.max(0, at + delay - Date.now())));
        return Date.now();
      });
      expect(['succeeded', 'failed']).toContain(outcome.status);
      const now = await consistent();
      // Succeeded: the new one is served; failed: rolled back to the old one.
      if (outcome.status === 'succeeded') expect(now).not.toBe(before);
      else expect(now).toBe(before);
      outcomes.push(outcome.status);
    }
    expect(outcomes).toHaveLength(TRIALS);
  }, 600_000);
});
