import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { ensurePebble } from './bootstrap';
import { accepts, freePort, until } from './process';

/**
 * A real ACME server for the sandbox: pebble on loopback, with `pebble-challtestsrv` as its DNS server so test domains
 * resolve to sandbox hosts' loopback addresses. Pebble's own TLS certificate is made here with openssl (`caFile`
 * trusts it); the CA that signs issued certificates is pebble's, fetched with {@link SandboxPebble.issuerRoot}.
 * `PEBBLE_VA_NOSLEEP=1` so validations are immediate.
 */
export interface SandboxPebble {
  /** The ACME directory URL, e.g. `https://127.0.0.1:14000/dir`. */
  directoryUrl: string;
  /** PEM file that trusts pebble's HTTPS listener (a client of the directory needs it). */
  caFile: string;
  /** The port pebble's validator fetches HTTP-01 challenges from, on the address a domain resolves to. */
  httpPort: number;
  /** `127.0.0.1:<port>` of the DNS server pebble's validator asks (pebble-challtestsrv). */
  dnsServer: string;
  /** Makes `domain` resolve (A record) to `address` for pebble's validator. */
  addHost(domain: string, address: string): Promise<void>;
  /** The PEM of the root that signs issued certificates (from pebble's management interface). */
  issuerRoot(): Promise<string>;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  dir: string;
  /** Where load balancers answer HTTP-01 challenges (pebble fetches `http://<domain>:<httpPort>/.well-known/…`). */
  httpPort: number;
}

export async function startPebble(o: PebbleOptions): Promise<SandboxPebble> {
  const bins = ensurePebble();
  mkdirSync(o.dir, { recursive: true });
  const [cert, key, config] = ['tls.pem', 'tls.key', 'pebble.json'].map((f) => join(o.dir, f));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
    ].concat(['-days', '30', '-subj', '/CN=pebble', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );
  const [port, management, dnsPort, dnsManagement, tlsPort] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: cert,
        privateKey: key,
        httpPort: o.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        domainBlocklist: [],
        retryAfter: { authz: 1, order: 1 },
        keyAlgorithm: 'ecdsa',
        profiles: { default: { description: 'the sandbox profile', validityPeriod: 7_776_000 } },
      },
    }),
  );
  const children: ChildProcess[] = [];
  // Children left running by a process that ends without stop() (a test that crashed) go with it.
  process.once('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
  const stop = async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await until(5_000, async () => children.every((c) => c.exitCode !== null || c.signalCode !== null));
  };
  const log = (name: string) => {
    const file = join(o.dir, `${name}.log`);
    writeFileSync(file, '');
    return file;
  };
  const launch = (bin: string, args: string[], name: string) => {
    const out = log(name);
    const child = spawn(bin, args, {
      cwd: o.dir,
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (d: Buffer) => writeFileSync(out, d, { flag: 'a' });
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    children.push(child);
    return out;
  };
  try {
    const dnsLog = launch(
      bins['pebble-challtestsrv'],
      ['-dnsserver', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${dnsManagement}`].concat([
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-doh',
        '',
        '-defaultIPv6',
        '',
      ]),
      'challtestsrv',
    );
    if (!(await until(10_000, () => accepts('127.0.0.1', dnsManagement)))) {
      throw new Error(`pebble-challtestsrv did not start: ${readFileSync(dnsLog, 'utf8').slice(-1000)}`);
    }
    const pebbleLog = launch(bins.pebble, ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], 'pebble');
    if (!(await until(10_000, () => accepts('127.0.0.1', port)))) {
      throw new Error(`pebble did not start: ${readFileSync(pebbleLog, 'utf8').slice(-1000)}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const agent = new Agent({ ca: readFileSync(cert) });
  const call = (url: string, method: string, body?: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request(url, { method, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          (res.statusCode ?? 500) < 300
            ? resolve(Buffer.concat(chunks).toString())
            : reject(new Error(`${method} ${url}: HTTP ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    caFile: cert,
    httpPort: o.httpPort,
    dnsServer: `127.0.0.1:${dnsPort}`,
    async addHost(domain, address) {
      const res = await fetch(`http://127.0.0.1:${dnsManagement}/add-a`, {
        method: 'POST',
        body: JSON.stringify({ host: domain, addresses: [address] }),
      });
      if (!res.ok) throw new Error(`pebble-challtestsrv add-a ${domain}: HTTP ${res.status}`);
    },
    issuerRoot: () => call(`https://127.0.0.1:${management}/roots/0`, 'GET'),
    stop,
  };
}
