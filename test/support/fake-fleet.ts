import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunwayClient } from '../../client/lib';
import type { HostRef } from '../../core/plan';
import { createRunwayWorker } from '../../worker';
import { linkScript, releasePaths, stateScript, unpackScript } from '../../runbooks/deploy/scripts';
import { fakeFetch, fakeHosts, shell, type Answer, type FakeHosts } from './fake-hosts';
import { connectClient, temporalAddress, type TestWorld } from './harness';
import { historySizes } from './history';

/** A fleet of modelled hosts behind the real worker, workflows and activities, on the jest run's Temporal server. */
export interface FakeFleet {
  dir: string;
  hosts: FakeHosts;
  runway: RunwayClient;
  /** Events in the run's own history and in each child workflow's it started, largest first. */
  histories(handle: WorkflowHandle): Promise<Array<{ workflowId: string; events: number }>>;
  stop(): Promise<void>;
}

export interface FakeFleetOptions {
  web: number;
  /** Extra lines under the environment (after `concurrency`). */
  concurrency?: number;
  /** Extra top-level YAML. */
  extra?: string[];
  /** Extra settings in the `ssh` section, e.g. `heartbeatTimeout: 2s`. */
  ssh?: string;
  answer: (host: HostRef, command: string) => Answer | Promise<Answer>;
  health?: (url: string) => { status: number; text: string };
}

/** Loopback addresses nothing listens on: the model answers for every host, so no packet leaves this process. */
export const fleetAddress = (i: number) => `127.210.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

/** Starts a worker for `web` modelled hosts (`web-1` …) and an `lb-1`, in environment `fleet`. */
export async function startFakeFleet(name: string, o: FakeFleetOptions): Promise<FakeFleet> {
  const dir = mkdtempSync(join(tmpdir(), `runway-${name}-`));
  const taskQueue = `test-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const configFile = join(dir, 'runway.yml');
  const hostLines = Array.from(
    { length: o.web },
    (_, i) => `      web-${i + 1}: { address: ${fleetAddress(i)}, roles: [web] }`,
  );
  writeFileSync(
    configFile,
    [
      `temporal: { address: ${temporalAddress()}, taskQueue: ${taskQueue} }`,
      `ssh: { user: fleet, agent: true, knownHosts: ${JSON.stringify(join(dir, 'known_hosts'))}${o.ssh ? `, ${o.ssh}` : ''} }`,
      'environments:',
      '  fleet:',
      `    concurrency: ${o.concurrency ?? 100}`,
      '    hosts:',
      ...hostLines,
      '      lb-1: { address: 127.210.0.250, roles: [lb] }',
      `audit: { file: ${JSON.stringify(join(dir, 'audit.jsonl'))} }`,
      ...(o.extra ?? []),
      '',
    ].join('\n'),
  );
  const hosts = fakeHosts(o.answer);
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const { worker } = await createRunwayWorker({
    configFile,
    connection,
    workflowBundle: { codePath: process.env.RUNWAY_TEST_SHIPPED_BUNDLE! },
    hosts,
    fetch: fakeFetch(o.health ?? (() => ({ status: 200, text: 'ok' }))),
  });
  const running = worker.run();
  const runway = await connectClient({ configFile } as TestWorld);
  return {
    dir,
    hosts,
    runway,
    histories: (handle) => historySizes(runway.client.workflow, handle),
    async stop() {
      await runway.close();
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A {@link FakeFleet} with the `app` service deployed `rolling` to its web hosts, behind a real upstream file. */
export interface RollingFleet extends FakeFleet {
  /** The load balancer's upstream file (lb-1 runs its commands in a real shell); starts as {@link ROLLING_UPSTREAM}. */
  upstreamFile: string;
}

/** What every rolling fleet's hosts run before the deploy, and the release it deploys. */
export const ROLLING = { dir: '/srv/app', old: '1.0.0', version: '2.0.0' };
export const ROLLING_UPSTREAM = '# kept by hand\nupstream app {\n  server 127.210.1.1:8000;\n}\n';

export interface RollingFleetOptions {
  web: number;
  batchSize: string;
  /** The health check's `expectBody` (default none: any 200). */
  expectBody?: string;
  ssh?: string;
  /** Extra top-level YAML, e.g. a `fanout:` section. */
  extra?: string[];
  /** Answers a web host's command first; undefined falls back to the model of a host running {@link ROLLING}.old. */
  answer?: (host: HostRef, command: string) => Answer | undefined | Promise<Answer | undefined>;
  health?: (url: string) => { status: number; text: string };
}

/**
 * Starts a fleet whose web hosts run release {@link ROLLING}.old of `app` (as its state script reports), accept the
 * upload and unpack of {@link ROLLING}.version and answer every other command with success; lb-1 runs its commands.
 */
export async function startRollingFleet(name: string, o: RollingFleetOptions): Promise<RollingFleet> {
  const lbDir = mkdtempSync(join(tmpdir(), `runway-${name}-lb-`));
  const upstreamFile = join(lbDir, 'upstream.conf');
  writeFileSync(upstreamFile, ROLLING_UPSTREAM);
  writeFileSync(join(lbDir, `app-${ROLLING.version}.tar.gz`), 'release bytes');
  const { dir, old, version } = ROLLING;
  const { release, tarball } = releasePaths(dir, version);
  const unpack = unpackScript(release, tarball);
  const expectBody = o.expectBody ? `, expectBody: ${JSON.stringify(o.expectBody)}` : '';
  const fleet = await startFakeFleet(name, {
    web: o.web,
    ssh: o.ssh,
    extra: [
      'services:',
      '  app:',
      '    strategy: rolling',
      '    roles: [web]',
      `    dir: ${dir}`,
      `    artifact: { file: ${JSON.stringify(join(lbDir, 'app-{{version}}.tar.gz'))} }`,
      '    start: start-app {{version}} {{port}}',
      '    stop: stop-app',
      `    health: { http: { path: /health${expectBody} }, timeout: 1s, interval: 100ms }`,
      '    port: 8000',
      `    loadBalancer: { role: lb, upstreamFile: ${JSON.stringify(upstreamFile)}, upstream: app, test: "true", reload: "true" }`,
      `    batchSize: ${o.batchSize}`,
      ...(o.extra ?? []),
    ],
    answer: async (host, command) => {
      if (host.name === 'lb-1') return shell(command);
      const answer = await o.answer?.(host, command);
      if (answer) return answer;
      if (command === stateScript(dir)) {
        return { stdout: `live=\nblue=\ngreen=\ncurrent=${old}\nprevious=0.9.0\nreleases=${old} 0.9.0 \n` };
      }
      if (command === unpack) return { stdout: 'created\n' };
      return {};
    },
    health: o.health,
  });
  return { ...fleet, upstreamFile };
}

/** Each web host's last switch of `current` between the old release and the new, with its place in the log. */
export function lastSwitches(fleet: FakeFleet): Map<string, { seq: number; to: string }> {
  const last = new Map<string, { seq: number; to: string }>();
  for (const r of fleet.hosts.log.filter((r) => r.host.startsWith('web-'))) {
    const to = [ROLLING.old, ROLLING.version].find((v) => r.command.includes(linkScript(ROLLING.dir, 'current', v)));
    if (to) last.set(r.host, { seq: r.seq, to });
  }
  return last;
}

/**
 * Batches whose hosts were not all put back before any host of the batch before them: `[]` when the run rolled
 * batches `failed`…1 back newest first (each host's last switch of `current`, see {@link lastSwitches}).
 */
export function notNewestFirst(fleet: FakeFleet, batchOf: (host: string) => number, failed: number): number[] {
  const last = [...lastSwitches(fleet)];
  const span = (b: number) => {
    const seqs = last.filter(([h]) => batchOf(h) === b).map(([, v]) => v.seq);
    return { first: Math.min(...seqs), last: Math.max(...seqs) };
  };
  const wrong: number[] = [];
  for (let b = failed; b > 1; b--) if (!(span(b).last < span(b - 1).first)) wrong.push(b);
  return wrong;
}

/** Starts a deploy of {@link ROLLING}.version to `fleet` and waits for its outcome. */
export async function deployRolling(fleet: FakeFleet) {
  const handle = await fleet.runway.start('deploy', { environment: 'fleet', service: 'app', version: ROLLING.version });
  return { handle, outcome: await fleet.runway.wait(handle) };
}

/** Health answers for a rolling fleet: `host` never becomes healthy, every other host answers the new release. */
export function unhealthyOn(host: string): (url: string) => { status: number; text: string } {
  const address = fleetAddress(Number(host.slice(4)) - 1);
  return (url) =>
    url.includes(`//${address}:`) ? { status: 503, text: 'starting' } : { status: 200, text: `ok ${ROLLING.version}` };
}
