import { X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPebble, type SandboxPebble } from '../sandbox/pebble';

/**
 * The sandbox's ACME server, for the certificate runbooks: pebble answers its directory over TLS that `caFile`
 * trusts (and nothing else does), offers ACME Renewal Information, resolves test domains through
 * pebble-challtestsrv to the addresses given, and hands out the root its certificates chain to.
 */
describe('sandbox pebble', () => {
  let pebble: SandboxPebble;
  const dir = mkdtempSync(join(tmpdir(), 'runway-pebble-'));
  beforeAll(async () => {
    pebble = await startPebble({ dir, httpPort: 25_080 });
  });
  afterAll(async () => {
    await pebble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const fetchJson = (url: string, ca?: Buffer) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      // ACME servers refuse requests without a User-Agent (RFC 8555 §6.1).
      get(url, { agent: new Agent({ ca }), headers: { 'user-agent': 'runway-test' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
      }).on('error', reject);
    });

  test('serves its directory over TLS trusted by caFile only, with renewal information', async () => {
    const directory = await fetchJson(pebble.directoryUrl, readFileSync(pebble.caFile));
    expect(Object.keys(directory)).toEqual(
      expect.arrayContaining(['newNonce', 'newAccount', 'newOrder', 'renewalInfo']),
    );
    await expect(fetchJson(pebble.directoryUrl)).rejects.toThrow(/self[- ]signed|unable to verify/);
  });

  test('resolves a test domain to the address it was given', async () => {
    await pebble.addHost('site.test', '127.1.2.3');
    const resolver = new Resolver();
    resolver.setServers([pebble.dnsServer]);
    expect(await resolver.resolve4('site.test')).toEqual(['127.1.2.3']);
  });

  test('hands out the root its certificates chain to', async () => {
    const root = new X509Certificate(await pebble.issuerRoot());
    expect(root.ca).toBe(true);
    expect(root.subject).toMatch(/Pebble Root CA/);
  });
});
