import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Outcome } from '../client/outcome';
import type { ServedCertificate } from '../core/certs';
import { runCli } from './support/harness';
import { startRenewWorld, type Entry, type RenewWorld } from './support/renew-world';

const DAY = 86_400_000;

/**
 * Renewal against a real ACME server (pebble), installed over ssh on real nginx load balancers and proven on the wire:
 * a due certificate renewed on both LBs, one not due left alone (no order), ACME unreachable or a challenge failing
 * (retried, then failed, nothing changed), a key mismatch refused by `nginx -t` and a reload that reloads nothing —
 * both rolled back and the old certificate proven served again — and bad input refused in one line.
 */
describe('certificate renewal (pebble, nginx, sshd)', () => {
  let w: RenewWorld;
  beforeAll(async () => {
    w = await startRenewWorld('renew');
  }, 180_000);
  afterAll(() => w?.stop());

  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const lbsOf = (e: Entry) => (e === 'site' || e === 'crash' ? [1, 2] : [1]);

  /** The entry's live files on each LB: content, mode and owner — and nothing of a run left beside them. */
  function files(e: Entry): string[] {
    return lbsOf(e).flatMap((lb) =>
      (['crt', 'key'] as const).map((ext) => {
        const f = w.file(lb, e, ext);
        const st = statSync(f);
        return `lb-${lb} ${ext} ${sha(f)} ${(st.mode & 0o777).toString(8)} uid ${st.uid}`;
      }),
    );
  }
  const leftovers = () =>
    [1, 2].flatMap((lb) =>
      readdirSync(join(w.hostDir(lb), 'tls')).filter((f) => /runway-(new|old|absent|tmp)/.test(f)),
    );
  const challenges = () =>
    [1, 2].flatMap((lb) => {
      const dir = join(w.hostDir(lb), 'www', '.well-known', 'acme-challenge');
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    });

  async function renew(certificate: string, force = false): Promise<{ outcome: Outcome; handle: WorkflowHandle }> {
    const handle = await w.runway.start('certRenew', { certificate, force, actor: 'test' });
    return { outcome: await w.runway.wait(handle), handle };
  }

  /** Activity types the run scheduled, and the highest attempt any of them reached. */
  async function activities(handle: WorkflowHandle): Promise<{ types: string[]; maxAttempt: number }> {
    const { events } = await handle.fetchHistory();
    const types = (events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    const attempts = (events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
    return { types, maxAttempt: Math.max(0, ...attempts) };
  }

  const daysLeft = (c: ServedCertificate) => (Date.parse(c.notAfter) - Date.now()) / DAY;
  const fingerprints = (served: ServedCertificate[]) => served.map((c) => c.fingerprint);

  test('a due certificate is renewed on both load balancers, proven served, and the old files kept', async () => {
    const before = await w.served('site');
    expect(new Set(fingerprints(before)).size).toBe(1);
    const oldCrt = sha(w.file(1, 'site', 'crt'));
    const oldKey = sha(w.file(1, 'site', 'key'));

    const cli = await runCli(['certs', 'renew', 'site', '--config', w.world.configFile, '--as', 'ci']);
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cli.stdout).toMatch(/renewed: true/);

    const after = await w.served('site');
    expect(new Set(fingerprints(after)).size).toBe(1);
    for (const [i, cert] of after.entries()) {
      expect(cert.serial).not.toBe(before[i].serial);
      expect(cert.issuer).toMatch(/Pebble/);
      expect(cert.sans.sort()).toEqual(['site.test', 'www.site.test']);
      expect(daysLeft(cert)).toBeGreaterThan(daysLeft(before[i]) + 30);
    }
    // The key is new, 0600 and still the login user's; the old files are kept beside as .runway-previous.
    for (const lb of [1, 2]) {
      const key = statSync(w.file(lb, 'site', 'key'));
      expect((key.mode & 0o777).toString(8)).toBe('600');
      expect(key.uid).toBe(statSync(w.hostDir(lb)).uid);
      expect(sha(`${w.file(lb, 'site', 'crt')}.runway-previous`)).toBe(oldCrt);
      expect(sha(`${w.file(lb, 'site', 'key')}.runway-previous`)).toBe(oldKey);
      expect(sha(w.file(lb, 'site', 'key'))).not.toBe(oldKey);
    }
    expect(leftovers()).toEqual([]);
    expect(challenges()).toEqual([]);

    // Renewed a moment ago: not due. The CA's renewal window (ARI) is asked and no order is placed.
    const again = await renew('site');
    expect(again.outcome.status).toBe('succeeded');
    expect(again.outcome.report?.result).toMatchObject({ renewed: false, due: false });
    expect(String(again.outcome.report?.result?.why)).toMatch(/not due: .* renewal window opens/);
    const { types } = await activities(again.handle);
    expect(types).toContain('acmeRenewalInfo');
    expect(types.filter((t) => t.startsWith('acmeOrder') || t === 'acmeFinalize')).toEqual([]);
    expect(fingerprints(await w.served('site'))).toEqual(fingerprints(after));

    // Forced: the order names the certificate it replaces (RFC 9773 `replaces`), and a new one is served.
    const forced = await renew('site', true);
    expect(forced.outcome.status).toBe('succeeded');
    expect(forced.outcome.report?.result).toMatchObject({ renewed: true, replaces: after[0].certId });
    const third = await w.served('site');
    expect(new Set(fingerprints(third)).size).toBe(1);
    expect(third[0].serial).not.toBe(after[0].serial);

    // Neither the new key nor the account key is anywhere in the history (payloads decoded).
    const { events } = await forced.handle.fetchHistory();
    const texts = JSON.stringify(events)
      .match(/"[A-Za-z0-9+/=]{40,}"/g)!
      .map((b) => Buffer.from(b.slice(1, -1), 'base64').toString());
    expect(texts.some((t) => t.includes('"certificate":"site"'))).toBe(true);
    expect(texts.filter((t) => /PRIVATE KEY/.test(t))).toEqual([]);
  }, 120_000);

  /**
   * Renews `e` and returns the outcome, after checking that the entry's files and served certificate are what they
   * were before, and that nothing of the run (staged files, backups, challenge files) is left.
   */
  async function renewLeavingAlone(
    e: Entry,
  ): Promise<{ outcome: Outcome; handle: WorkflowHandle; served: ServedCertificate }> {
    const [served] = await w.served(e);
    const before = files(e);
    const { outcome, handle } = await renew(e);
    expect(files(e)).toEqual(before);
    expect((await w.served(e))[0].fingerprint).toBe(served.fingerprint);
    expect(leftovers()).toEqual([]);
    expect(challenges()).toEqual([]);
    return { outcome, handle, served };
  }
  const failedWith = (outcome: Outcome, message: RegExp) => {
    expect([outcome.status, outcome.message]).toEqual(['failed', expect.stringMatching(message)]);
  };
  const installUndone = (outcome: Outcome) =>
    expect(outcome.report?.steps.find((s) => s.name.startsWith('install on'))?.status).toBe('undone');

  test('a certificate that is not due: nothing changes and no ACME order is placed', async () => {
    const { outcome, handle } = await renewLeavingAlone('fresh');
    expect([outcome.status, outcome.message]).toEqual(['succeeded', expect.any(String)]);
    expect(outcome.report?.result).toMatchObject({ renewed: false, due: false });
    expect(String(outcome.report?.result?.why)).toMatch(/^not due: 79\.\d days left, renew 30 days before/);
    expect((await activities(handle)).types.filter((t) => t.startsWith('acme') && t !== 'acmeRenewalInfo')).toEqual([]);
  }, 60_000);

  test('ACME unreachable: retried, then failed; no file changed, the old certificate still served', async () => {
    const { outcome, handle } = await renewLeavingAlone('offline');
    failedWith(outcome, /cannot reach the ACME directory https:\/\/127\.0\.0\.1:\d+\/dir: ECONNREFUSED/);
    expect((await activities(handle)).maxAttempt).toBeGreaterThan(1);
  }, 120_000);

  test('a failing challenge: ordered again, then failed; no file changed, challenge files removed', async () => {
    const { outcome, handle } = await renewLeavingAlone('unvalidated');
    failedWith(outcome, /the http-01 challenge for nowhere\.site\.test failed/);
    expect((await activities(handle)).types.filter((t) => t === 'acmeOrder')).toHaveLength(2);
  }, 120_000);

  test('a key mismatch refused by nginx -t: the old files are put back and proven served', async () => {
    writeFileSync(join(w.hostDir(1), 'break-once'), sha(w.file(1, 'broken', 'key')));
    const { outcome } = await renewLeavingAlone('broken');
    failedWith(outcome, /lb-1: the test command refused the new files: .*key values mismatch/);
    installUndone(outcome);
  }, 120_000);

  test('a reload that reports success but leaves the old certificate served: noticed on the wire, rolled back', async () => {
    const { outcome, served } = await renewLeavingAlone('stale');
    failedWith(
      outcome,
      new RegExp(
        `the new certificate \\(serial \\w+\\) is not served 4 s after the reload: lb-1:${w.port.stale} serves serial ${served.serial}`,
      ),
    );
    installUndone(outcome);
  }, 120_000);

  test('bad input: one line, exit 2, nothing changed', async () => {
    const config = ['--config', w.world.configFile];
    const before = files('fresh');
    const unknown = await runCli(['certs', 'renew', 'nosuch', ...config]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/input\.certificate: unknown certificate "nosuch" \(known: .*site.*\)/),
    ]);
    const keyless = await runCli(['certs', 'renew', 'keyless', ...config]);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(
      /certificates\.keyless\.acme\.accountKey: environment variable RUNWAY_TEST_UNSET_ACCOUNT_KEY is not set/,
    );
    const bad = await runCli(['certs', 'renew', 'Not_A-name!', ...config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(files('fresh')).toEqual(before);
  }, 60_000);
});
