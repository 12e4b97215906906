import { ApplicationFailure, sleep, workflowInfo } from '@temporalio/workflow';
import { CertRenewInputSchema, type CertRenewInput } from '../config/inputs';
import { judgeCertificate, renewalDecision, type EndpointReport } from '../core/certs';
import { FailureType, invalidInput } from '../core/failures';
import { quote } from '../core/quote';
import { fillTemplate } from '../core/template';
import type { AcmeSettings, CertificatePlan, HostRef, IssuedCertificate } from '../core/plan';
import { defineRunbook, runbook, type Runbook } from '../workflows';
import { hostActivities } from '../workflows/proxies';
import { now } from '../workflows/time';
import { onHost } from './backup/copies';
import { handshakeAll, recordServed } from './certs/handshake';
import {
  backupScript,
  discardRunFilesScript,
  installScript,
  keepPreviousScript,
  placeChallengesScript,
  preflightScript,
  removeChallengesScript,
  restoreScript,
  webrootCheckScript,
} from './certs/scripts';

const DAY = 86_400_000;
const POLL_MS = 250;

/**
 * Renews one certificate when it is due (or forced): what every endpoint serves is checked first, and the CA's
 * renewal window asked for (RFC 9773) when it offers one. Then: a new order naming the certificate it replaces, its
 * HTTP-01 challenge files written on the webroot hosts (and removed after), a new key and the certificate staged on
 * every install host, the live files backed up and replaced with one rename each, the test command, the reload, and
 * the proof on the wire: every endpoint serves the new certificate. Any failure after the install puts the old files
 * back, tests, reloads and checks on the wire that the old certificate is served again — or ends
 * `rollback-incomplete`. One run per entry at a time: its workflow id is `cert-renew:<name>`.
 */
export const certRenew = defineRunbook(
  {
    description: 'renew a certificate through ACME, install it on every host, prove it served, or put the old one back',
    input: CertRenewInputSchema,
  },
  async function certRenew(input) {
    return runbook<CertRenewInput>('certRenew', input, async (rb) => {
      const entry = rb.plan.certificates![0];
      const acme = entry.config.acme!;
      const install = entry.config.install!;
      const targets = entry.install!;
      const hosts = targets.map((t) => t.host);
      const filesOf = (host: HostRef) => targets.find((t) => t.host.name === host.name)!.files;
      const commandOf = (template: string) => (host: HostRef) => {
        const values: Record<string, string> = {
          host: host.name,
          address: host.address,
          dir: host.dir,
          ...filesOf(host),
        };
        return fillTemplate(template, (name) => quote(values[name] ?? ''));
      };
      const [test, reload] = [commandOf(install.test), commandOf(install.reload)];
      const webroot = entry.webroot!;
      const webrootHosts = webroot.map((w) => w.host);
      const webrootOf = (host: HostRef) => webroot.find((w) => w.host.name === host.name)!.dir;
      const names = (list: HostRef[]) => list.map((h) => h.name).join(', ');
      const settings = {
        directory: acme.directory,
        email: acme.email,
        accountKey: acme.accountKey,
        caFile: acme.caFile,
      };
      const activities = hostActivities(rb.plan.timing);
      const id = workflowInfo().runId.replace(/-/g, '').slice(0, 12);
      if (rb.input.actor) rb.label('actor', rb.input.actor);
      if (rb.input.delay) await sleep(rb.input.delay);

      // What is served now, and whether it is due.
      const before = await rb.step(`check ${entry.name} on the wire`, () => handshakeAll(rb, entry));
      const unreachable = before.filter((e) => !e.served);
      if (unreachable.length) {
        throw invalidInput(
          `${entry.name}: cannot renew what cannot be checked: ${unreachable.map((e) => `${e.host}:${e.port}: ${e.error}`).join('; ')}`,
        );
      }
      const { domains, renewBefore } = entry.config;
      const judged = judgeCertificate(
        { name: entry.name, environment: entry.environment, domains, renewBefore },
        before,
        now(),
      );
      const certId = before[0].served!.certId;
      const info = certId
        ? await rb.step('renewal information', () =>
            activities.acmeRenewalInfo.executeWithOptions({ summary: `ACME renewal information · ${entry.name}` }, [
              { settings, certId },
            ]),
          )
        : undefined;
      const decision = renewalDecision(judged, info?.window, now(), rb.input.force);
      rb.result({
        certificate: entry.name,
        due: decision.due,
        why: decision.why,
        previousSerial: before[0].served!.serial,
        ...(info?.window && { renewalWindow: `${info.window.start} – ${info.window.end}` }),
      });
      if (!decision.due) {
        rb.result({ renewed: false });
        return;
      }

      // Nothing changes before every install host and webroot host is fit.
      await rb.step(`check ${names(hosts)}`, () =>
        Promise.all(hosts.map((h) => onHost(rb, h, preflightScript(filesOf(h), test(h))))),
      );
      await rb.step(`check webroot on ${names(webrootHosts)}`, () =>
        Promise.all(webrootHosts.map((h) => onHost(rb, h, webrootCheckScript(webrootOf(h))))),
      );

      // The staged files and challenge files of this run go, whatever happens after.
      await rb.teardown('remove staged files', () =>
        rb.on(hosts).run((h) => discardRunFilesScript(filesOf(h), id, false)),
      );
      const tokens: string[] = [];
      const removeChallenges = () => rb.on(webrootHosts).run((h) => removeChallengesScript(webrootOf(h), tokens));
      await rb.teardown('remove challenge files', removeChallenges);
      const replaces = info?.known ? certId : undefined;
      const issued = await obtain(rb, entry, { settings, id, tokens, replaces });
      await rb.step(`remove challenge files on ${names(webrootHosts)}`, removeChallenges);
      rb.result({ serial: issued.serial, notAfter: issued.notAfter, ...(replaces && { replaces }) });

      // Install everywhere; any failure from here on puts the old files back and proves them served.
      const verifyTimeout = install.verifyTimeout;
      await rb.step(`back up on ${names(hosts)}`, () => rb.on(hosts).run((h) => backupScript(filesOf(h), id)));
      await rb.step(`install on ${names(hosts)}`, () => rb.on(hosts).run((h) => installScript(filesOf(h), id)), {
        undoOnFailure: true,
        undo: async () => {
          await rb.on(hosts).run((h) => restoreScript(filesOf(h), id, test(h), reload(h)));
          await proveServed(rb, entry, before, verifyTimeout, 'the old certificate');
          await rb.on(hosts).run((h) => discardRunFilesScript(filesOf(h), id, true));
        },
      });
      await rb.step('test', async () => {
        const results = await rb.on(hosts).run(test).nothrow();
        const refused = results.filter((r) => r.exitCode !== 0);
        if (refused.length) {
          throw ApplicationFailure.create({
            type: FailureType.CommandFailed,
            nonRetryable: true,
            message: refused
              .map((r) => `${r.host}: the test command refused the new files: ${lastLines(r.stderr || r.stdout)}`)
              .join('; '),
          });
        }
      });
      await rb.step('reload', () => rb.on(hosts).run(reload));
      const expected = entry.endpoints.map(() => ({ served: issued }));
      const after = await proveServed(rb, entry, expected, verifyTimeout, 'the new certificate');
      recordServed(
        judgeCertificate({ name: entry.name, environment: entry.environment, domains, renewBefore }, after, now()),
      );
      const lifetime = Date.parse(issued.notAfter) - Date.parse(issued.notBefore);
      const renewBeforeMs = typeof renewBefore === 'number' ? renewBefore : renewBefore.fraction * lifetime;
      if (Date.parse(issued.notAfter) - Date.parse(now()) <= renewBeforeMs) {
        throw ApplicationFailure.create({
          type: FailureType.VerificationFailed,
          nonRetryable: true,
          message: `the new certificate (serial ${issued.serial}) expires ${issued.notAfter}: within renew-before`,
        });
      }
      await rb.step('keep the previous files', () => rb.on(hosts).run((h) => keepPreviousScript(filesOf(h), id)));
      const daysLeft = Math.floor(((Date.parse(issued.notAfter) - Date.parse(now())) / DAY) * 10) / 10;
      rb.result({ renewed: true, daysLeft, fingerprint: issued.fingerprint, endpoints: after.length });
      rb.notify(
        `🔒 ${entry.name}: renewed, serial ${issued.serial}, ${daysLeft} days left, served on ${after.length} endpoint${after.length === 1 ? '' : 's'}`,
      );
    });
  },
);

interface Obtain {
  settings: AcmeSettings;
  id: string;
  tokens: string[];
  replaces?: string;
}

/** Orders and finalizes; a failed challenge is ordered again (up to `acme.attempts`), after `acme.retryAfter`. */
async function obtain(rb: Runbook<CertRenewInput>, entry: CertificatePlan, o: Obtain): Promise<IssuedCertificate> {
  const acme = entry.config.acme!;
  const activities = hostActivities(rb.plan.timing);
  const webroot = entry.webroot!;
  const dirOf = (host: HostRef) => webroot.find((w) => w.host.name === host.name)!.dir;
  const domains = entry.config.domains;
  for (let attempt = 1; ; attempt++) {
    const suffix = attempt > 1 ? ` (attempt ${attempt})` : '';
    const order = await rb.step(`order ${domains.join(', ')}${suffix}`, () =>
      activities.acmeOrder.executeWithOptions({ summary: `ACME order ${domains.join(', ')}` }, [
        { settings: o.settings, domains, replaces: o.replaces },
      ]),
    );
    o.tokens.push(...order.challenges.map((c) => c.token));
    if (order.challenges.length) {
      await rb.step(`place ${order.challenges.length} challenge file${order.challenges.length === 1 ? '' : 's'}`, () =>
        rb.on(webroot.map((w) => w.host)).run((h) => placeChallengesScript(dirOf(h), order.challenges)),
      );
    }
    try {
      return await rb.step(`validate and finalize${suffix}`, () =>
        activities.acmeFinalize.executeWithOptions({ summary: `ACME validate and finalize · ${entry.name}` }, [
          {
            settings: o.settings,
            order: order.url,
            account: order.account,
            domains,
            stage: { id: o.id, targets: entry.install! },
          },
        ]),
      );
    } catch (err) {
      const type = (err as { cause?: { type?: string } }).cause?.type;
      if (attempt >= acme.attempts || type !== FailureType.AcmeChallengeFailed) throw err;
      rb.notify(`⚠️ ${entry.name}: the challenge failed; ordering again in ${acme.retryAfter / 1000} s`);
      await sleep(acme.retryAfter);
    }
  }
}

/**
 * Handshakes until every endpoint serves the expected certificate (by fingerprint, endpoint by endpoint) or `timeoutMs`
 * passes; then fails naming each endpoint that serves something else.
 */
async function proveServed(
  rb: Runbook<CertRenewInput>,
  entry: CertificatePlan,
  expected: Array<Pick<EndpointReport, 'served'>>,
  timeoutMs: number,
  what: string,
): Promise<EndpointReport[]> {
  const deadline = Date.parse(now()) + timeoutMs;
  return rb.step(`verify ${what} is served`, async () => {
    for (;;) {
      const seen = await handshakeAll(rb, entry);
      const wrong = seen.filter((e, i) => e.served?.fingerprint !== expected[i].served?.fingerprint);
      if (wrong.length === 0) return seen;
      if (Date.parse(now()) >= deadline) {
        const serial = expected[0].served?.serial;
        throw ApplicationFailure.create({
          type: FailureType.VerificationFailed,
          nonRetryable: true,
          message:
            `${what} (serial ${serial}) is not served ${timeoutMs / 1000} s after the reload: ` +
            wrong
              .map((e) => `${e.host}:${e.port} serves ${e.served ? `serial ${e.served.serial}` : e.error}`)
              .join('; '),
        });
      }
      await sleep(POLL_MS);
    }
  });
}

const lastLines = (text: string) => text.trim().split('\n').slice(-3).join(' ').slice(-400) || '(no output)';
