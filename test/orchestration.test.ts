import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import type { HostRef } from '../core/plan';
import { linkScript, releasePaths, stateScript, unpackScript } from '../runbooks/deploy/scripts';
import type { RunwayClient } from '../client/lib';
import { createRunwayWorker } from '../worker';
import { fakeFetch, fakeHosts, shell, type FakeHosts } from './support/fake-hosts';
import { connectClient, temporalAddress, type TestWorld } from './support/harness';

const WEB = 500;
const BATCH = 10;
const FAILING = 'web-65'; // in batch 7 (web-61 … web-70)
const OLD = '1.0.0';
const NEW = '2.0.0';
const DIR = '/srv/app';
const web = (i: number) => `web-${i + 1}`;
const batchOf = (host: string) => Math.floor((Number(host.slice(4)) - 1) / BATCH) + 1;

/**
 * Orchestration over a fleet too big for sshd on this machine, on the fake activities: the real worker, workflows and
 * activities (createActivities), with the hosts and their services modelled. The load balancer's commands run for real
 * in a local shell, so its upstream file can be compared byte for byte.
 */
describe('a rolling deploy over 500 hosts (fake activities)', () => {
  let dir: string;
  let upstreamFile: string;
  let hosts: FakeHosts;
  let runway: RunwayClient;
  let stopWorker: () => Promise<void>;
  const original = '# kept by hand before Runway took over\nupstream app {\n  server 127.200.0.1:8000;\n}\n';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runway-fleet-'));
    mkdirSync(join(dir, 'lb'));
    upstreamFile = join(dir, 'lb', 'upstream.conf');
    writeFileSync(upstreamFile, original);
    writeFileSync(join(dir, `app-${NEW}.tar.gz`), 'release bytes');
    const taskQueue = `test-fleet-${Math.random().toString(36).slice(2, 8)}`;
    const configFile = join(dir, 'runway.yml');
    // Loopback addresses nothing listens on: the model answers for every host, so no packet leaves this process.
    const address = (i: number) => `127.200.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
    const hostLines = Array.from(
      { length: WEB },
      (_, i) => `      ${web(i)}: { address: ${address(i)}, roles: [web] }`,
    );
    writeFileSync(
      configFile,
      [
        `temporal: { address: ${temporalAddress()}, taskQueue: ${taskQueue} }`,
        `ssh: { user: fleet, agent: true, knownHosts: ${JSON.stringify(join(dir, 'known_hosts'))} }`,
        'environments:',
        '  fleet:',
        '    concurrency: 100',
        '    hosts:',
        ...hostLines,
        '      lb-1: { address: 127.200.0.250, roles: [lb] }',
        'services:',
        '  app:',
        '    strategy: rolling',
        '    roles: [web]',
        `    dir: ${DIR}`,
        `    artifact: { file: ${JSON.stringify(join(dir, 'app-{{version}}.tar.gz'))} }`,
        '    start: start-app {{version}} {{port}}',
        '    stop: stop-app',
        '    health: { http: { path: /health, expectBody: "ok {{version}}" }, timeout: 1s, interval: 100ms }',
        '    port: 8000',
        `    loadBalancer: { role: lb, upstreamFile: ${JSON.stringify(upstreamFile)}, upstream: app, test: "true", reload: "true" }`,
        `    batchSize: ${BATCH}`,
        '    maxFailures: 0',
        `audit: { file: ${JSON.stringify(join(dir, 'audit.jsonl'))} }`,
        '',
      ].join('\n'),
    );
    const { release, tarball } = releasePaths(DIR, NEW);
    const unpack = unpackScript(release, tarball);
    hosts = fakeHosts((host: HostRef, command: string) => {
      if (host.name === 'lb-1') return shell(command);
      // Every web host runs OLD, with the release before it as `previous`.
      if (command === stateScript(DIR)) {
        return { stdout: `live=\nblue=\ngreen=\ncurrent=${OLD}\nprevious=0.9.0\nreleases=${OLD} 0.9.0 \n` };
      }
      if (command === unpack) return { stdout: 'created\n' };
      return {};
    });
    const fetch = fakeFetch((url) =>
      url.includes(`//${address(Number(FAILING.slice(4)) - 1)}:`)
        ? { status: 503, text: 'starting' }
        : { status: 200, text: `ok ${NEW}` },
    );
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const { worker } = await createRunwayWorker({
      configFile,
      connection,
      workflowBundle: { codePath: process.env.RUNWAY_TEST_SHIPPED_BUNDLE! },
      hosts,
      fetch,
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
    runway = await connectClient({ configFile } as TestWorld);
  });

  afterAll(async () => {
    await runway?.close();
    await stopWorker?.();
  });

  it('a host failing in batch 7 rolls back batches 7…1 newest first and leaves the upstream as it was', async () => {
    const started = Date.now();
    const handle = await runway.start('deploy', { environment: 'fleet', service: 'app', version: NEW, actor: 'ci' });
    const outcome = await runway.wait(handle);
    const seconds = (Date.now() - started) / 1000;
    console.log(`500-host rolling deploy with rollback: ${seconds.toFixed(1)} s, ${hosts.log.length} commands`);

    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toContain(`${FAILING}:`);
    const batchSteps = outcome.report!.steps.filter((s) => s.name.startsWith('batch '));
    expect(batchSteps.map((s) => s.name.split(':')[0])).toEqual([1, 2, 3, 4, 5, 6, 7].map((b) => `batch ${b}/50`));
    expect(batchSteps.map((s) => s.status)).toEqual(Array(7).fill('undone'));

    // Each host's last switch of `current`: every host of batches 1–7 ends back on OLD, and the batches went back
    // newest first — all of batch k before any of batch k-1.
    const switchTo = (version: string) => linkScript(DIR, 'current', version);
    const last = new Map<string, { seq: number; to: string }>();
    for (const r of hosts.log.filter((r) => r.host.startsWith('web-'))) {
      const to = [OLD, NEW].find((v) => r.command.includes(switchTo(v)));
      if (to) last.set(r.host, { seq: r.seq, to });
    }
    const touched = [...last.keys()];
    expect(new Set(touched.map(batchOf))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
    expect(touched).toHaveLength(70);
    expect([...last.values()].every((v) => v.to === OLD)).toBe(true);
    const span = (b: number) => {
      const seqs = [...last].filter(([h]) => batchOf(h) === b).map(([, v]) => v.seq);
      return { first: Math.min(...seqs), last: Math.max(...seqs) };
    };
    for (let b = 7; b > 1; b--) expect(span(b).last).toBeLessThan(span(b - 1).first);

    // Hosts after the failing batch were never switched, stopped or started.
    const later = hosts.log.filter((r) => r.host.startsWith('web-') && batchOf(r.host) > 7);
    expect(later.filter((r) => /stop-app|start-app/.test(r.command))).toEqual([]);

    // The load balancer's upstream file is back byte for byte.
    expect(readFileSync(upstreamFile, 'utf8')).toBe(original);
  });
});
