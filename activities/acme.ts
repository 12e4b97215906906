import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ApplicationFailure, Context } from '@temporalio/activity';
import * as acme from 'acme-client';
import { resolveSecret } from '../config/secret';
import { FailureType } from '../core/failures';
import type {
  AcmeFinalizeRequest,
  AcmeOrder,
  AcmeOrderRequest,
  AcmeRenewalInfo,
  AcmeRenewalInfoRequest,
  AcmeSettings,
  IssuedCertificate,
} from '../core/plan';
import type { HostFiles } from './ssh/files';
import { ariCertId, describeCertificate } from './tls-probe';

/**
 * ACME (RFC 8555) through acme-client, on the worker: renewal information (RFC 9773), orders with their HTTP-01
 * challenges, and finalization with a key made for this renewal. The account key is resolved here from its reference;
 * the certificate's new key is written straight to the install hosts (staged beside the live files) and never leaves
 * the activity otherwise. A directory that cannot be reached fails the attempt (Temporal retries it); an answer of
 * the CA that refuses (a failed challenge, a bad request) fails it for good.
 */

const UA = 'runway-acme';
// acme-client's own retries wait seconds between tries; Temporal's retry policy is the one that counts.
const axiosDefaults = acme.axios.defaults as typeof acme.axios.defaults & {
  acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number };
};
axiosDefaults.acmeSettings.retryMaxAttempts = 1;
axiosDefaults.acmeSettings.retryDefaultDelay = 1;
acme.axios.defaults.headers.common['User-Agent'] = UA;
acme.setLogger(() => undefined);

/** Extra CAs trusted for ACME directories (a private ACME server's caFile), on top of the system's. */
const extraCas = new Set<string>();

function agentFor(settings: AcmeSettings): Agent {
  if (settings.caFile) {
    let pem: string;
    try {
      pem = readFileSync(settings.caFile, 'utf8');
    } catch (err) {
      throw refused(`cannot read caFile ${settings.caFile}: ${(err as NodeJS.ErrnoException).code}`);
    }
    if (!extraCas.has(pem)) {
      extraCas.add(pem);
      acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, ...extraCas], keepAlive: false });
    }
  }
  return new Agent({ ca: [...rootCertificates, ...extraCas] });
}

function refused(message: string, type: string = FailureType.AcmeRefused): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

const NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up/;

/** Fetches the directory itself first: an unreachable or untrusted server gets a clear message. */
async function directory(settings: AcmeSettings): Promise<Record<string, unknown>> {
  const agent = agentFor(settings);
  const answer = await get(settings.directory, agent).catch((err: NodeJS.ErrnoException) => {
    const why = `${err.code ?? ''} ${err.message}`.trim();
    if (NETWORK.test(why)) throw new Error(`cannot reach the ACME directory ${settings.directory}: ${why}`);
    throw refused(
      `ACME directory ${settings.directory}: ${why}${/certificate/i.test(why) ? ' (set acme.caFile?)' : ''}`,
    );
  });
  if (answer.status >= 500) throw new Error(`ACME directory ${settings.directory}: HTTP ${answer.status}`);
  try {
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
    const dir = JSON.parse(answer.body) as Record<string, unknown>;
    if (typeof dir.newOrder !== 'string') throw new Error('no newOrder URL');
    return dir;
  } catch (err) {
    throw refused(`${settings.directory} is not an ACME directory: ${(err as Error).message}`);
  }
}

function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'user-agent': UA }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

function accountKey(settings: AcmeSettings): string {
  try {
    return resolveSecret(settings.accountKey, 'acme.accountKey').reveal();
  } catch (err) {
    throw refused((err as Error).message, FailureType.InvalidInput);
  }
}

async function client(settings: AcmeSettings, accountUrl?: string): Promise<acme.Client> {
  await directory(settings);
  const c = new acme.Client({
    directoryUrl: settings.directory,
    accountKey: accountKey(settings),
    accountUrl,
    backoffAttempts: 30,
    backoffMin: 250,
    backoffMax: 3_000,
  });
  if (!accountUrl) {
    await c.createAccount({
      termsOfServiceAgreed: true,
      ...(settings.email ? { contact: [`mailto:${settings.email}`] } : {}),
    });
  }
  return c;
}

/** Network trouble stays retryable; anything the CA said is final. */
async function acmeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => Context.current().heartbeat(what), 1_000);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = `${e.code ?? ''} ${e.message}`.trim();
    if (NETWORK.test(why) || /status code 5\d\d/.test(why)) throw new Error(`${what}: ${why}`);
    throw refused(`${what}: ${why}`);
  } finally {
    clearInterval(beat);
  }
}

export function createAcme(files: HostFiles | undefined) {
  const hostFiles = (): HostFiles => {
    if (!files) throw refused('these hosts cannot take files over ssh', FailureType.InvalidInput);
    return files;
  };

  /** The CA's suggested renewal window for the served certificate, when its directory offers renewal information. */
  async function acmeRenewalInfo(request: AcmeRenewalInfoRequest): Promise<AcmeRenewalInfo> {
    const { settings, certId } = request;
    return acmeCall('renewal information', async () => {
      const dir = await directory(settings);
      if (typeof dir.renewalInfo !== 'string') return { offered: false };
      const answer = await get(`${dir.renewalInfo.replace(/\/$/, '')}/${certId}`, agentFor(settings));
      // A certificate this CA did not issue (pebble answers 400 for a foreign issuer) or has forgotten: no window,
      // the renew-before decides.
      if (answer.status === 404 || answer.status === 400) return { offered: true, known: false };
      if (answer.status >= 500) throw new Error(`HTTP ${answer.status}`);
      if (answer.status !== 200) throw refused(`renewal information for ${certId}: HTTP ${answer.status}`);
      const info = JSON.parse(answer.body) as {
        suggestedWindow?: { start: string; end: string };
        explanationURL?: string;
      };
      if (!info.suggestedWindow) throw refused(`renewal information for ${certId} has no suggestedWindow`);
      return {
        offered: true,
        known: true,
        window: {
          start: new Date(info.suggestedWindow.start).toISOString(),
          end: new Date(info.suggestedWindow.end).toISOString(),
        },
        explanation: info.explanationURL,
      };
    });
  }

  /** A new order for the domains, naming the certificate it replaces when there is one, and its challenges. */
  async function acmeOrder(request: AcmeOrderRequest): Promise<AcmeOrder> {
    const { settings, domains, replaces } = request;
    return acmeCall('ACME order', async () => {
      const c = await client(settings);
      const identifiers = domains.map((value) => ({ type: 'dns', value }));
      let order: acme.Order;
      let replacing = replaces;
      try {
        order = await c.createOrder({ identifiers, ...(replaces ? { replaces } : {}) });
      } catch (err) {
        // Already replaced by an order of a run that then rolled back, or a CA without `replaces`: order plainly.
        if (!replaces || !/replace/i.test((err as Error).message)) throw err;
        order = await c.createOrder({ identifiers });
        replacing = undefined;
      }
      const challenges: AcmeOrder['challenges'] = [];
      for (const authz of await c.getAuthorizations(order)) {
        if (authz.status === 'valid') continue;
        const http01 = authz.challenges.find((ch) => ch.type === 'http-01');
        if (!http01) throw refused(`the CA offers no http-01 challenge for ${authz.identifier.value}`);
        challenges.push({
          domain: authz.identifier.value,
          token: http01.token,
          keyAuthorization: await c.getChallengeKeyAuthorization(http01),
        });
      }
      return { url: order.url, account: c.getAccountUrl(), status: order.status, challenges, replaces: replacing };
    });
  }

  /**
   * Answers the challenges (their files must be served by now), then finalizes with a new key and downloads the
   * certificate. The key is staged on every install host first (`<key>.runway-new.<id>`, mode 0600), so a retry after
   * a crash finalizes or downloads with the same key; the certificate (and chain) are staged beside theirs.
   */
  async function acmeFinalize(request: AcmeFinalizeRequest): Promise<IssuedCertificate> {
    const { settings, order: orderUrl, account, domains, stage } = request;
    const io = hostFiles();
    return acmeCall('ACME finalize', async () => {
      const c = await client(settings, account);
      let order = await c.getOrder({ url: orderUrl } as acme.Order);
      if (order.status === 'pending') {
        for (const authz of await c.getAuthorizations(order)) {
          if (authz.status === 'valid') continue;
          const http01 = authz.challenges.find((ch) => ch.type === 'http-01');
          if (!http01) throw refused(`the CA offers no http-01 challenge for ${authz.identifier.value}`);
          if (http01.status === 'pending') await c.completeChallenge(http01);
          await c.waitForValidStatus(authz).catch((err: Error) => {
            throw refused(
              `the http-01 challenge for ${authz.identifier.value} failed: ${err.message}`,
              FailureType.AcmeChallengeFailed,
            );
          });
        }
        await c.waitForValidStatus(order).catch(() => undefined);
        order = await c.getOrder({ url: orderUrl } as acme.Order);
      }
      if (order.status === 'invalid') throw refused(`the order ${orderUrl} is invalid`);
      const staged = (path: string) => `${path}.runway-new.${stage.id}`;
      const [first] = stage.targets;
      let key = (await io.read(first.host, staged(first.files.key)))?.toString();
      if (!key || !isKey(key)) key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
      for (const { host, files } of stage.targets) await io.write(host, staged(files.key), Buffer.from(key), 0o600);
      if (order.status === 'ready') {
        const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: domains }, key);
        await c.finalizeOrder(order, csr);
        order = await c.getOrder({ url: orderUrl } as acme.Order);
      }
      const pem = await c.getCertificate(order);
      const [leaf, ...chain] = acme.crypto.splitPemChain(pem);
      const x509 = new X509Certificate(leaf);
      if (!x509.checkPrivateKey(createPrivateKey(key))) {
        throw refused(`the certificate of ${orderUrl} does not match the key staged as ${staged(first.files.key)}`);
      }
      const fullchain = ensureNewline([leaf, ...chain].join('\n'));
      const written: Record<string, string> = {};
      for (const { host, files } of stage.targets) {
        const writes: Array<[string, string]> = files.chain
          ? [
              [files.certificate, ensureNewline(leaf)],
              [files.chain, ensureNewline(chain.join('\n'))],
            ]
          : [[files.certificate, fullchain]];
        for (const [path, text] of writes) {
          await io.write(host, staged(path), Buffer.from(text), 0o644);
          written[`${host.name}:${staged(path)}`] = sha256(text);
        }
      }
      return {
        ...describeCertificate(x509),
        pem: leaf,
        certId: ariCertId(leaf),
        files: written,
      };
    });
  }

  return { acmeRenewalInfo, acmeOrder, acmeFinalize };
}

function isKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).type === 'private';
  } catch {
    return false;
  }
}

const ensureNewline = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
