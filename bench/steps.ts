/**
 * Steps per second of the `steps` runbook — with payload encryption off and on (`temporal.encryption`, a worker and a
 * client of each, on task queues of their own) — beside the same commands over plain OpenSSH, on 1 and 10 sandbox
 * hosts: `npm run bench -- --steps 20 --rounds 3` (`--configs runway,ssh-mux` times only those). Everything runs in this
 * process against a local Temporal dev server and real sshd hosts on loopback addresses of their own. Prints a Markdown
 * table, Runway's wall time divided by multiplexed ssh's (the median of each round's ratio), and where one more run's
 * time went by its history (workflow tasks and events per step, the phases of a command: see anatomy.ts); writes
 * `.runway/bench/steps-<timestamp>.json`. A measurement, not a test: it checks that every command answered what it
 * should, never how fast.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startTestServer } from '../sandbox/test-server';
import { ensurePackages, ROOT, TEST_NEEDS } from '../sandbox/bootstrap';
import { RunwayClient } from '../client/lib';
import { sandboxConfigYaml } from '../sandbox/config';
import { startSandbox, type SandboxHost } from '../sandbox/hosts';
import { createRunwayWorker, installRuntime } from '../worker';
import {
  encryptionCost,
  machineFacts,
  markdownTable,
  muxRatio,
  overheadMs,
  summarize,
  writeJson,
  type Config,
  type Measurement,
} from './report';
import { codecOf } from '../config/encryption';
import { codecMicroseconds, sealedPayloads } from './codec';
import { closeMasters, sshSteps } from './ssh';
import { runBench, type Undo } from './cleanup';
import { anatomy, type Anatomy } from './anatomy';

const HOST_COUNTS = [1, 10];
const CONFIGS: Config[] = ['runway', 'runway-encrypted', 'ssh', 'ssh-mux'];
const ENVIRONMENT = 'bench';

type Expected = (step: number, host: SandboxHost) => string;

function options(): { steps: number; rounds: number; configs: Config[] } {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
      configs: { type: 'string', default: CONFIGS.join(',') },
    },
  });
  const configs = values.configs.split(',') as Config[];
  const unknown = configs.filter((c) => !CONFIGS.includes(c));
  if (unknown.length) throw new Error(`--configs: expected some of ${CONFIGS.join(',')}, got ${unknown.join(',')}`);
  const int = (name: 'steps' | 'rounds', max: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`--${name}: expected an integer 1..${max}, got ${values[name]}`);
    return n;
  };
  return { steps: int('steps', 200), rounds: int('rounds', 100), configs };
}

/** One `steps` run on `hosts` (each step with a trivial undo, so the saga bookkeeping runs), checked step by step. */
async function runwaySteps(runway: RunwayClient, hosts: SandboxHost[], commands: string[], expected: Expected) {
  const steps = commands.map((run, i) => ({ name: `step ${i + 1}`, run, undo: 'true' }));
  const handle = await runway.start('steps', { environment: ENVIRONMENT, hosts: hosts.map((h) => h.name), steps });
  const outcome = await runway.wait(handle);
  if (outcome.status !== 'succeeded') throw new Error(`the steps run ended ${outcome.status}: ${outcome.message}`);
  outcome.report?.steps.forEach((step, i) =>
    hosts.forEach((h) => {
      const out = step.hosts[h.name]?.stdoutTail?.trim();
      if (out !== expected(i, h))
        throw new Error(`runway ${step.name} on ${h.name}: expected "${expected(i, h)}", got "${out}"`);
    }),
  );
  return handle;
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function main(undo: Undo): Promise<void> {
  const { steps, rounds, configs } = options();
  ensurePackages(TEST_NEEDS);
  installRuntime();
  const env = await startTestServer();
  undo.push(() => env.teardown());
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  const names = Array.from({ length: Math.max(...HOST_COUNTS) }, (_, i) => `web-${i + 1}`);
  const sandbox = await startSandbox({ dir: join(dir, 'hosts'), count: names.length, names });
  undo.push(() => sandbox.stop());
  mkdirSync(join(dir, 'mux'));
  const controlPath = (h: SandboxHost) => join(dir, 'mux', h.name);
  undo.push(() => closeMasters(sandbox, sandbox.hosts, controlPath));
  // The same runway.yml twice: encryption off, and on (its own task queue, a fresh key).
  writeFileSync(join(dir, 'bench.key'), randomBytes(32).toString('base64'));
  const encryptionConfig = { keyId: 'b1', keys: { b1: { file: join(dir, 'bench.key') } } };
  const encryption = `  taskQueue: runway-encrypted\n  encryption: ${JSON.stringify(encryptionConfig)}\n`;
  const configFiles = { off: join(dir, 'runway.yml'), on: join(dir, 'runway-encrypted.yml') };
  for (const [which, file] of Object.entries(configFiles)) {
    const temporal = `temporal:\n  address: ${env.address}\n${which === 'on' ? encryption : ''}`;
    writeFileSync(file, sandboxConfigYaml(sandbox, { environment: ENVIRONMENT, extra: temporal }));
  }
  const workers = await Promise.all(
    Object.values(configFiles).map((configFile) =>
      createRunwayWorker({ configFile, connection: env.nativeConnection }),
    ),
  );
  for (const { pool } of workers) undo.push(() => pool.close());

  const commands = Array.from({ length: steps }, (_, i) => `echo step ${i + 1} on $RUNWAY_HOST`);
  const expected: Expected = (i, h) => `step ${i + 1} on ${h.name}`;
  const measurements: Measurement[] = HOST_COUNTS.flatMap((hosts) =>
    configs.map((config) => ({ config, hosts, seconds: [] })),
  );
  const running = workers.map(({ worker }) => worker.run());
  let codec: { microsecondsPerPayload: number; payloadsPerRun: number } | undefined;
  const anatomies: Record<number, Anatomy> = {};
  try {
    const runway = await RunwayClient.connect({ configFile: configFiles.off });
    const encrypted = await RunwayClient.connect({ configFile: configFiles.on });
    const run: Record<Config, (hosts: SandboxHost[]) => Promise<unknown>> = {
      runway: (hosts) => runwaySteps(runway, hosts, commands, expected),
      'runway-encrypted': (hosts) => runwaySteps(encrypted, hosts, commands, expected),
      ssh: (hosts) => sshSteps(sandbox, hosts, commands, expected),
      'ssh-mux': (hosts) => sshSteps(sandbox, hosts, commands, expected, controlPath),
    };
    try {
      // Warm-up: the workflow bundle and Runway's pooled connections, the ssh control masters, the page cache.
      for (const m of measurements) await run[m.config](sandbox.hosts.slice(0, m.hosts));
      // Rounds interleave the configurations, so drift in the machine's load hits them all alike; every other round
      // runs them in reverse, so none always follows the same neighbour (encryption on right after off, say).
      for (let round = 1; round <= rounds; round++) {
        for (const m of round % 2 ? measurements : [...measurements].reverse()) {
          m.seconds.push(await seconds(() => run[m.config](sandbox.hosts.slice(0, m.hosts))));
          console.error(
            `round ${round}/${rounds}: ${m.config} on ${m.hosts} host(s): ${m.seconds.at(-1)!.toFixed(2)} s`,
          );
        }
      }
      // Where a run's time goes: one more run per number of hosts, read from its history.
      if (configs.includes('runway')) {
        for (const hosts of HOST_COUNTS) {
          const handle = await runwaySteps(runway, sandbox.hosts.slice(0, hosts), commands, expected);
          anatomies[hosts] = await anatomy(handle, steps);
        }
      }
      // What the codec itself costs: per payload, and how many payloads one encrypted run on one host seals.
      if (configs.includes('runway-encrypted')) {
        const handle = await runwaySteps(encrypted, sandbox.hosts.slice(0, 1), commands, expected);
        const sealed = await sealedPayloads(handle);
        codec = { microsecondsPerPayload: await codecMicroseconds(codecOf(encryptionConfig)), payloadsPerRun: sealed };
      }
    } finally {
      await runway.close();
      await encrypted.close();
    }
  } finally {
    for (const { worker } of workers) worker.shutdown();
    await Promise.all(running);
  }

  const results = summarize(measurements, steps);
  const overhead = overheadMs(results, steps);
  const ratio = muxRatio(results);
  console.log(`\n## ${steps}-step runbook, median of ${rounds} round(s)\n\n${markdownTable(results)}\n`);
  for (const [hosts, ms] of Object.entries(overhead)) {
    console.log(
      `Runway ÷ multiplexed ssh, ${hosts} host(s): ${ratio[Number(hosts)].toFixed(2)}× ` +
        `(median of each round's ratio); ${ms.toFixed(0)} ms more per step`,
    );
  }
  for (const [hosts, a] of Object.entries(anatomies)) {
    const { ms } = a;
    console.log(
      `One run on ${hosts} host(s): ${a.workflowTasksPerStep.toFixed(2)} workflow tasks and ${a.eventsPerStep.toFixed(1)} ` +
        `events per step; per command (median ms): ssh ${ms.command.toFixed(1)} in an activity of ` +
        `${ms.activity.toFixed(1)}, to the workflow task ` +
        `${ms.toWorkflowTask.toFixed(1)}, workflow task ${ms.workflowTask.toFixed(1)}, to the next command ` +
        `${ms.toNextActivity.toFixed(1)}`,
    );
  }
  const encryptionOnOff = encryptionCost(results);
  for (const [hosts, c] of Object.entries(encryptionOnOff)) {
    console.log(
      `Payload encryption, ${hosts} host(s): ${c.on.toFixed(2)} steps/s on vs ${c.off.toFixed(2)} off ` +
        `(on/off ${c.ratio.toFixed(3)})`,
    );
  }
  if (codec) {
    const ms = (codec.microsecondsPerPayload * codec.payloadsPerRun) / 1000;
    console.log(
      `The codec alone: ${codec.microsecondsPerPayload.toFixed(1)} µs to seal and open a 2 KB payload; a ${steps}-step ` +
        `run on 1 host seals ${codec.payloadsPerRun} payloads: about ${ms.toFixed(1)} ms of codec work per run`,
    );
  }
  console.log(
    `\nEvery configuration logs in as ${sandbox.user} and pays the same login shell start per command; ` +
      'all hosts share this machine, so at 10 hosts the host side competes for its CPUs too.',
  );
  const file = writeJson(join(ROOT, '.runway', 'bench'), 'steps', {
    date: new Date().toISOString(),
    steps,
    rounds,
    machine: machineFacts(),
    results,
    overheadMsPerStep: overhead,
    runwayOverMux: ratio,
    anatomy: anatomies,
    encryptionOnOff,
    codec,
  });
  console.log(`JSON: ${file}`);
}

runBench(main);
