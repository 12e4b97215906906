import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tlsProbe } from '../../activities/tls-probe';
import type { ServedCertificate } from '../../core/certs';
import { startNginx, type SandboxNginx } from '../../sandbox/nginx';
import { startPebble, type SandboxPebble } from '../../sandbox/pebble';
import { freePort } from '../../sandbox/process';
import type { RunwayClient } from '../../client/lib';
import { makeTestCa } from './certs';
import { connectClient, startWorker, startWorld, type TestWorld } from './harness';

const DAY = 86_400_000;

/** The entries of the renewal world; each has a TLS port of its own on the hosts that serve it. */
export const ENTRIES = ['site', 'fresh', 'broken', 'stale', 'offline', 'unvalidated', 'crash'] as const;
export type Entry = (typeof ENTRIES)[number];
/** Served by both load balancers (the others by lb-1 only). */
const BOTH: Entry[] = ['site', 'crash'];

/**
 * Two sandbox load balancers (lb-1, lb-2: sshd hosts, each with real nginx serving TLS from files in its own dir and
 * answering HTTP-01 challenges from its webroot on pebble's validation port), a real ACME server (pebble, whose DNS
 * maps site.test to lb-1 and www.site.test to lb-2), and one certificate entry per case, each first served a
 * certificate from a private test CA:
 * - `site` (both LBs, 10 days left: due), `fresh` (80 days left: not due);
 * - `broken`: its test command swaps a newly installed key for one that does not match, once, when
 *   `<dir>/break-once` holds the sha256 of the key in place before;
 * - `stale`: its reload reports success and reloads nothing;
 * - `offline`: its ACME directory is a port nothing listens on; `unvalidated`: its domain resolves nowhere;
 * - `crash` (both LBs): its test command takes 2 s, so a worker can be killed between install and reload.
 */
export interface RenewWorld {
  world: TestWorld;
  pebble: SandboxPebble;
  lbs: SandboxNginx[];
  runway: RunwayClient;
  port: Record<Entry, number>;
  /** An entry's live file on lb-N (1-based). */
  file(lb: number, entry: Entry, ext: 'crt' | 'key'): string;
  /** The host dir of lb-N. */
  hostDir(lb: number): string;
  /** What each load balancer serving the entry serves now (lb-1 first). */
  served(entry: Entry): Promise<ServedCertificate[]>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRenewWorld(name: string, options: { noWorker?: boolean } = {}): Promise<RenewWorld> {
  let world: TestWorld | undefined;
  let pebble: SandboxPebble | undefined;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  let runway: RunwayClient | undefined;
  const lbs: SandboxNginx[] = [];
  const stop = async () => {
    await runway?.close();
    await worker?.stop();
    await Promise.all(lbs.map((n) => n.stop()));
    await pebble?.stop();
    await world?.stop();
  };
  try {
    const httpPort = await freePort();
    const base = 21_000 + Math.floor(Math.random() * 20_000);
    const port = Object.fromEntries(ENTRIES.map((e, i) => [e, base + i])) as Record<Entry, number>;
    world = await startWorld(name, 2, { names: ['lb-1', 'lb-2'], roles: { 'lb-1': ['lb'], 'lb-2': ['lb'] } });
    const w = world;
    chmodSync(w.dir, 0o755);
    pebble = await startPebble({ dir: join(w.dir, 'pebble'), httpPort });
    const [lb1, lb2] = w.sandbox.hosts;
    await pebble.addHost('site.test', lb1.address);
    await pebble.addHost('www.site.test', lb2.address);
    const accountKey = join(w.dir, 'acme-account.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', accountKey]);
    const closed = await freePort();

    const ca = makeTestCa(join(w.dir, 'ca'));
    const now = Date.now();
    const issue = (entry: Entry, daysLeft: number, sans: string[]) =>
      ca.issue(entry, { sans, from: new Date(now - 20 * DAY), until: new Date(now + daysLeft * DAY) });
    const sansOf = (e: Entry) => (BOTH.includes(e) ? ['site.test', 'www.site.test'] : ['site.test']);
    const initial = Object.fromEntries(
      ENTRIES.map((e) => [
        e,
        issue(e, e === 'fresh' ? 80 : 10, e === 'unvalidated' ? ['nowhere.site.test'] : sansOf(e)),
      ]),
    ) as Record<Entry, { certFile: string; keyFile: string }>;
    const asRoot = process.getuid?.() === 0;
    const user = w.sandbox.user;

    for (const [i, host] of w.sandbox.hosts.entries()) {
      const tls = join(host.dir, 'tls');
      mkdirSync(tls, { recursive: true });
      mkdirSync(join(host.dir, 'www'), { recursive: true });
      const mine = ENTRIES.filter((e) => i === 0 || BOTH.includes(e));
      for (const e of mine) {
        copyFileSync(initial[e].certFile, join(tls, `${e}.crt`));
        copyFileSync(initial[e].keyFile, join(tls, `${e}.key`));
        chmodSync(join(tls, `${e}.key`), 0o600);
      }
      execFileSync('openssl', [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        join(host.dir, 'wrong.key'),
      ]);
      if (asRoot) execFileSync('chown', ['-R', `${user}:`, tls, join(host.dir, 'www'), join(host.dir, 'wrong.key')]);
      const nginx = await startNginx({
        dir: host.dir,
        address: host.address,
        port: await freePort(),
        upstreamName: 'app',
        servers: ['127.0.0.1:9'],
        tls: mine.map((e) => ({ port: port[e], certFile: join(tls, `${e}.crt`), keyFile: join(tls, `${e}.key`) })),
        acme: { port: httpPort, webroot: join(host.dir, 'www') },
      });
      lbs.push(nginx);
      const ctl = join(host.dir, 'nginx-ctl');
      writeFileSync(
        ctl,
        [
          '#!/bin/sh',
          "# This load balancer's nginx, and the faults the renewal tests inject.",
          'here=$(dirname "$0")',
          'case "$1" in',
          `  test) exec ${nginx.testCommand} ;;`,
          `  reload) exec ${nginx.reloadCommand} ;;`,
          // break-once holds the sha256 of the key to leave alone: a different (new) key is swapped for a wrong one.
          `  test-breaking) if [ -e "$here/break-once" ] && [ "$(sha256sum < "$2" | cut -c1-64)" != "$(cat "$here/break-once")" ]; then rm -f "$here/break-once"; cp "$here/wrong.key" "$2"; fi; exec ${nginx.testCommand} ;;`,
          `  test-slow) sleep 2; exec ${nginx.testCommand} ;;`,
          '  *) echo "usage: nginx-ctl test|reload|test-breaking <key>|test-slow" >&2; exit 2 ;;',
          'esac',
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      if (asRoot) execFileSync('chown', [`${user}:`, ctl]);
    }

    const acme = (directory: string) =>
      [
        '    acme:',
        `      directory: ${directory}`,
        '      email: ops@site.test',
        `      accountKey: { file: ${accountKey} }`,
        `      caFile: ${pebble!.caFile}`,
        '      challenge: { http01: { role: lb, webroot: www } }',
        '      retryAfter: 1s',
      ].join('\n');
    const entry = (e: Entry) => {
      const on = BOTH.includes(e) ? '{ role: lb }' : '{ host: lb-1 }';
      const domains = e === 'unvalidated' ? '[nowhere.site.test]' : `[${sansOf(e).join(', ')}]`;
      const test =
        e === 'broken'
          ? 'sh {{dir}}/nginx-ctl test-breaking {{key}}'
          : e === 'crash'
            ? 'sh {{dir}}/nginx-ctl test-slow'
            : 'sh {{dir}}/nginx-ctl test';
      const reload = e === 'stale' ? 'true' : 'sh {{dir}}/nginx-ctl reload';
      return [
        `  ${e}:`,
        '    environment: test',
        `    domains: ${domains}`,
        `    endpoints: [${on.replace(' }', `, port: ${port[e]} }`)}]`,
        '    renewBefore: 30d',
        acme(e === 'offline' ? `https://127.0.0.1:${closed}/dir` : pebble!.directoryUrl),
        `    install: ${on.replace(' }', `, certificate: tls/${e}.crt, key: tls/${e}.key, verifyTimeout: 4s,`)}`,
        `      test: "${test}", reload: "${reload}" }`,
      ].join('\n');
    };
    // An entry whose account key reference resolves to nothing: refused before anything happens.
    const keyless = [
      '  keyless:',
      '    environment: test',
      '    domains: [site.test]',
      `    endpoints: [{ host: lb-1, port: ${port.fresh} }]`,
      acme(pebble.directoryUrl).replace(`{ file: ${accountKey} }`, '{ env: RUNWAY_TEST_UNSET_ACCOUNT_KEY }'),
      '    install: { host: lb-1, certificate: tls/keyless.crt, key: tls/keyless.key, test: "true", reload: "true" }',
    ].join('\n');
    const yaml = ['certificates:', ...ENTRIES.map(entry), keyless, ''].join('\n');
    writeFileSync(w.configFile, `${readFileSync(w.configFile, 'utf8')}${yaml}`);
    if (!options.noWorker) worker = await startWorker(w);
    runway = await connectClient(w);
    const hostDir = (lb: number) => w.sandbox.hosts[lb - 1].dir;
    return {
      world: w,
      pebble,
      lbs,
      runway,
      port,
      hostDir,
      file: (lb, e, ext) => join(hostDir(lb), 'tls', `${e}.${ext}`),
      async served(e) {
        const hosts = BOTH.includes(e) ? w.sandbox.hosts : [lb1];
        return Promise.all(
          hosts.map(async (h) => {
            const answer = await tlsProbe({ address: h.address, port: port[e], servername: sansOf(e)[0] });
            if (!answer.served) throw new Error(`${h.name}:${port[e]}: ${answer.error}`);
            return answer.served;
          }),
        );
      },
      async stopWorker() {
        await worker?.stop();
        worker = undefined;
      },
      async startWorker() {
        worker ??= await startWorker(w);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
