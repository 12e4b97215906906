import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunwayClient } from '../../client/lib';
import type { HostRef } from '../../core/plan';
import { createRunwayWorker } from '../../worker';
import { fakeFetch, fakeHosts, type Answer, type FakeHosts } from './fake-hosts';
import { connectClient, temporalAddress, type TestWorld } from './harness';

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
    async histories(handle) {
      const count = async (h: WorkflowHandle) => (await h.fetchHistory()).events?.length ?? 0;
      const events = (await handle.fetchHistory()).events ?? [];
      const children = events.flatMap((e) => {
        const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        return id ? [id] : [];
      });
      const sizes = [{ workflowId: handle.workflowId, events: events.length }];
      for (const id of children)
        sizes.push({ workflowId: id, events: await count(runway.client.workflow.getHandle(id)) });
      return sizes.sort((a, b) => b.events - a.events);
    },
    async stop() {
      await runway.close();
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
