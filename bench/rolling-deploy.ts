import { readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { RunwayClient } from '../client/lib';
import type { AnsibleSide } from './ansible';
import { runHistories } from './fleet-report';
import { reportActivitySeconds, type Timed } from './rolling-report';
import { ENVIRONMENT, SERVICE, serviceDir, upstreamAllUp, type RollingWorld } from './rolling-world';

/** A timed deploy, before the bench says whose, on how many hosts, in which round. */
export type Deployed = Omit<Timed, 'tool' | 'hosts' | 'round'>;

/** Wall seconds of `fn`. */
export async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/**
 * `runway deploy` of `version`, timed from the start request to the outcome as a CI job would see it; then, untimed,
 * the workflow histories (the run's and its children's), for the time spent inside activities.
 */
export async function runwayDeploy(runway: RunwayClient, version: string): Promise<Deployed> {
  const start = performance.now();
  const handle = await runway.start('deploy', { environment: ENVIRONMENT, service: SERVICE, version, actor: 'bench' });
  const outcome = await runway.wait(handle);
  const wall = (performance.now() - start) / 1000;
  if (outcome.status !== 'succeeded' || !outcome.report) {
    throw new Error(`runway deploy ${version} ended ${outcome.status}: ${outcome.message}`);
  }
  // The run's history and its child workflows' (a fan-out over more than fanout.childAbove hosts runs in children).
  const busy = await runHistories(runway.client.workflow, runway.handle(handle.workflowId, handle.firstExecutionRunId));
  return {
    version,
    seconds: wall,
    activitySecondsReport: reportActivitySeconds(outcome.report),
    activitySecondsHistory: busy.busySeconds,
    activities: busy.activities,
  };
}

/** `ansible-playbook` deploying `version`, timed from its start to its exit. */
export async function ansibleDeploy(ansible: AnsibleSide, version: string, artifact: string): Promise<Deployed> {
  return { version, seconds: await seconds(() => ansible.deploy(version, artifact)) };
}

/**
 * Checks a deploy did the whole job, whoever ran it: every web host's `current` is the release and its instance
 * answers `ok <version>`, nginx serves the version, and the upstream file has every host back, as Runway writes it.
 */
export async function verifyDeployed(world: RollingWorld, version: string, by: string): Promise<void> {
  const fail = (what: string) => {
    throw new Error(`after ${by} deployed ${version}: ${what}`);
  };
  for (const h of world.web) {
    const link = readlinkSync(`${serviceDir(world, h)}/current`);
    if (link !== `releases/${version}`) fail(`${h.name}'s current points at ${link}`);
  }
  const bodies = await Promise.all(
    world.web.map((h) =>
      fetch(`http://${h.address}:${world.port}/health`).then(
        (r) => r.text(),
        (e: Error) => e.message,
      ),
    ),
  );
  const wrong = world.web.flatMap((h, i) => (bodies[i].trim() === `ok ${version}` ? [] : [`${h.name}: ${bodies[i]}`]));
  if (wrong.length > 0) fail(`${wrong.length} host(s) not serving it: ${wrong.slice(0, 3).join('; ')}`);
  const viaLb = await (await fetch(world.nginx.url)).text();
  if (viaLb.trim() !== `version=${version}`) fail(`nginx answered ${JSON.stringify(viaLb)}`);
  if (readFileSync(world.nginx.upstreamFile, 'utf8') !== upstreamAllUp(world)) {
    fail(`the upstream file is not Runway's with every host up:\n${readFileSync(world.nginx.upstreamFile, 'utf8')}`);
  }
}
