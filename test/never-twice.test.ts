import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { RunwayClient } from '../client/lib';
import { connectClient, spawnWorker, startWorld, waitFor, type TestWorld } from './support/harness';

/**
 * Never twice: a worker process is SIGKILLed while a command runs on a real host; a new worker process finishes the
 * run, and a counter on the host shows the command ran exactly once.
 */
describe('never twice', () => {
  let world: TestWorld;
  let runway: RunwayClient;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    world = await startWorld('twice', 1, { names: ['web-1'] });
    runway = await connectClient(world);
  });
  // Each case starts with no worker alive, so the one it kills is the one that ran the command.
  afterEach(async () => {
    await Promise.all(workers.splice(0).map(kill));
  });
  afterAll(async () => {
    await runway?.close();
    await world?.stop();
  });

  const counter = (name: string) => join(world.sandbox.hosts[0].dir, name);
  const lines = (name: string) => {
    try {
      return readFileSync(counter(name), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  async function worker(): Promise<ChildProcess> {
    const child = await spawnWorker(world);
    workers.push(child);
    return child;
  }
  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  it('a worker killed mid-command: the next worker re-attaches and the command runs once', async () => {
    const first = await worker();
    const file = '"$RUNWAY_HOST_DIR/counter-a"';
    const handle = await runway.start('exec', {
      environment: 'test',
      hosts: ['web-1'],
      command: `echo run >> ${file}; sleep 8; echo done >> ${file}`,
    });
    await waitFor('the command to start on the host', () => lines('counter-a').length === 1);
    await kill(first);
    expect(lines('counter-a')).toEqual(['run']);
    await worker();
    const outcome = await runway.wait(handle);
    expect(outcome.exitCode).toBe(0);
    expect(lines('counter-a')).toEqual(['run', 'done']);
    expect(outcome.report?.steps[0].hosts['web-1']).toMatchObject({ exitCode: 0, reattached: true });
  });

  it('a worker killed before the result was reported: the next worker collects the recorded result', async () => {
    const first = await worker();
    const file = '"$RUNWAY_HOST_DIR/counter-b"';
    const handle = await runway.start('exec', {
      environment: 'test',
      hosts: ['web-1'],
      command: `echo run >> ${file}; sleep 2; echo done >> ${file}; echo finished`,
    });
    await waitFor('the command to start on the host', () => lines('counter-b').length === 1);
    await kill(first);
    await waitFor('the command to finish with no worker alive', () => lines('counter-b').length === 2);
    await worker();
    const outcome = await runway.wait(handle);
    expect(outcome.exitCode).toBe(0);
    expect(lines('counter-b')).toEqual(['run', 'done']);
    expect(outcome.report?.steps[0].hosts['web-1']).toMatchObject({ stdoutTail: 'finished\n', reattached: true });
  });
});
