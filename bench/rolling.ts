/**
 * A rolling deploy of the demo service to 20 and to 50 sandbox web hosts (batches of 10%, nginx on lb-1), by Runway
 * and by Ansible doing the same remote work with the same batch size (`serial`), timed by this script:
 * `npm run bench:rolling -- --rounds 3 --sizes 20,50`; with `--light`, the light demo app (start and stop only mark
 * the release running, one farm process answers for every host), up to 1,000 hosts. Prints Markdown tables and writes
 * `.runway/bench/rolling-<timestamp>.json`. A measurement, not a test: it checks that every deploy did the whole job
 * (see verifyDeployed), never how fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensurePackages, ROOT, TEST_NEEDS } from '../sandbox/bootstrap';
import { RunwayClient } from '../client/lib';
import { startTestServer } from '../sandbox/test-server';
import { bundleRunbooks, createRunwayWorker, installRuntime } from '../worker';
import { batches } from '../core/batches';
import { AnsibleSide } from './ansible';
import { ansibleDeploy, runwayDeploy, verifyDeployed, type Deployed } from './rolling-deploy';
import { explanation } from './rolling-explain';
import { machineFacts, writeJson } from './report';
import { markdownTables, summarize, type SizeResult, type Timed, type Tool } from './rolling-report';
import { runBench, unwind, type Undo } from './cleanup';
import { startRollingWorld, type RollingWorld } from './rolling-world';

const BATCH_SIZE = '10%';
const HEALTH_TIMEOUT = '20s';
/** Ansible's health retries: each try is one run of the uri module (≥ 0.2 s here), so ≥ the 20 s Runway waits. */
const HEALTH_RETRIES = 100;

function options(): { rounds: number; sizes: number[]; light: boolean } {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '1' },
      sizes: { type: 'string', default: '20,50' },
      light: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    throw new Error(`--rounds: expected 1..20, got ${values.rounds}`);
  // A node process per host for the demo app: 100 fit in this machine's memory; the light app has one for all.
  const most = values.light ? 1000 : 100;
  const sizes = values.sizes.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > most))
    throw new Error(`--sizes: expected e.g. 20,50 (1..${most} each${values.light ? '' : '; more with --light'})`);
  return { rounds, sizes, light: values.light };
}

/** The warm-up deploy, then `rounds` rounds of Runway, Ansible cold and Ansible warm, each deploying a fresh version. */
async function measure(
  world: RollingWorld,
  runway: RunwayClient,
  ansible: AnsibleSide,
  rounds: number,
): Promise<Timed[]> {
  let n = 0;
  const release = async () => {
    const version = `1.${n++}.0`;
    return { version, artifact: (await world.build(version)).file };
  };
  const hosts = world.web.length;
  const timed: Timed[] = [];
  const record = async (tool: Tool, round: number, deploy: (v: string, artifact: string) => Promise<Deployed>) => {
    const { version, artifact } = await release();
    const t: Timed = { tool, hosts, round, ...(await deploy(version, artifact)) };
    await verifyDeployed(world, version, tool);
    console.error(
      `${hosts} hosts, ${round ? `round ${round}` : 'warm-up'}: ${tool} ${version} in ${t.seconds.toFixed(1)} s`,
    );
    if (round > 0) timed.push(t);
  };
  // Warm-up: Runway's first deploy loads the bundle, fills the ssh pool and starts the app everywhere; Ansible's
  // untimed ping loads its Python modules into the page cache and proves it can log in to every host.
  await record('runway', 0, (v) => runwayDeploy(runway, v));
  await ansible.warm();
  for (let round = 1; round <= rounds; round++) {
    await record('runway', round, (v) => runwayDeploy(runway, v));
    await ansible.closeMasters();
    await record('ansible-cold', round, (v, a) => ansibleDeploy(ansible, v, a));
    await ansible.warm();
    await record('ansible-warm', round, (v, a) => ansibleDeploy(ansible, v, a));
  }
  return timed;
}

/** Each size's world is undone as soon as it is measured. */
async function main(undo: Undo): Promise<void> {
  const { rounds, sizes, light } = options();
  const loadavgAtStart = loadavg();
  const nginx = { command: '/usr/sbin/nginx', pkg: 'nginx' };
  ensurePackages([...TEST_NEEDS, nginx, { command: 'ansible-playbook', pkg: 'ansible' }]);
  const ansibleVersion = execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  installRuntime();
  const env = await startTestServer();
  undo.push(() => env.teardown());
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-rolling-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  const workflowBundle = await bundleRunbooks();
  const timed: Timed[] = [];
  const results: SizeResult[] = [];
  let playbook = '';
  let forks = 0;
  for (const size of sizes) {
    const mark = undo.length;
    const o = { dir: join(dir, `n${size}`), size, batchSize: BATCH_SIZE, healthTimeout: HEALTH_TIMEOUT, light };
    // Runway may run a command on a whole batch at once, as Ansible's forks let it.
    const concurrency = Math.max(10, batches(Array.from({ length: size }), BATCH_SIZE)[0].length);
    const world = await startRollingWorld({ ...o, temporalAddress: env.address, concurrency }, undo);
    const groups = batches(world.web, BATCH_SIZE);
    const connection = env.nativeConnection;
    const { worker, pool } = await createRunwayWorker({ configFile: world.configFile, connection, workflowBundle });
    undo.push(() => pool.close());
    // Forks: Ansible may run a task on as many hosts at once as Runway runs a command on (and a whole batch).
    forks = Math.max(groups[0].length, world.concurrency);
    const opts = { serial: BATCH_SIZE, lb: world.lb.name, upstream: world.nginx.upstreamName };
    const ansible = new AnsibleSide(world, join(o.dir, 'ansible'), forks, { ...opts, healthRetries: HEALTH_RETRIES });
    undo.push(() => ansible.closeMasters());
    playbook = readFileSync(ansible.playbookFile, 'utf8');
    await worker.runUntil(async () => {
      const runway = await RunwayClient.connect({ configFile: world.configFile });
      try {
        timed.push(...(await measure(world, runway, ansible, rounds)));
      } finally {
        await runway.close();
      }
    });
    results.push(summarize(timed, size, groups));
    await unwind(undo, mark);
  }

  console.log(`\n## Rolling deploy, batches of ${BATCH_SIZE}, median of ${rounds} round(s)\n`);
  console.log(`${markdownTables(results)}\n\n${explanation(forks, ansibleVersion)}`);
  const machine = { ...machineFacts(), loadavgAtStart };
  const app = light ? 'light (one farm process answers for every host)' : 'a node process per host';
  const payload = {
    date: new Date().toISOString(),
    rounds,
    batchSize: BATCH_SIZE,
    app,
    forks,
    ansibleVersion,
    machine,
  };
  const file = writeJson(join(ROOT, '.runway', 'bench'), 'rolling', { ...payload, results, timed, playbook });
  console.log(`JSON: ${file}`);
}

runBench(main);
