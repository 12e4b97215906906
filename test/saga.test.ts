import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { StepsParams } from '../config/inputs';
import { UNDO_ATTEMPTS } from '../workflows/saga';
import { runCli, useLiveWorld, waitFor } from './support/harness';

/** The saga on real hosts: the `steps` runbook writes what it does and undoes to a log in each host's own dir. */
describe('saga: step / undo', () => {
  const live = useLiveWorld('saga', 2, { names: ['web-1', 'web-2'] });
  let run = 0;

  /** Each run logs to its own file, so runs never see each other's lines. */
  function logOf(host: number, id: number): string[] {
    const file = join(live.world.sandbox.hosts[host].dir, `log-${id}`);
    return readFileSync(file, 'utf8').trim().split('\n');
  }
  const log = (id: number) => `"$RUNWAY_HOST_DIR/log-${id}"`;

  function plan(id: number, n: number, overrides: Record<number, { run?: string; undo?: string }> = {}): StepsParams {
    return {
      environment: 'test',
      role: 'web',
      steps: Array.from({ length: n }, (_, i) => ({
        name: `step ${i + 1}`,
        run: overrides[i + 1]?.run ?? `echo do ${i + 1} >> ${log(id)}`,
        undo: overrides[i + 1]?.undo ?? `echo undo ${i + 1} >> ${log(id)}`,
      })),
    };
  }

  it('a failure at step k of n runs the undos of k-1…1, newest first, on every host', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
        async ([n, k]) => {
          const id = ++run;
          const input = plan(id, n, { [k]: { run: `echo do ${k} >> ${log(id)}; exit 7` } });
          const outcome = await live.runway.wait(await live.runway.start('steps', input));
          const expected = [
            ...Array.from({ length: k }, (_, i) => `do ${i + 1}`),
            ...Array.from({ length: k - 1 }, (_, i) => `undo ${k - 1 - i}`),
          ];
          expect(logOf(0, id)).toEqual(expected);
          expect(logOf(1, id)).toEqual(expected);
          expect(outcome.exitCode).toBe(1);
          expect(outcome.status).toBe('failed');
          expect(outcome.report?.steps.map((s) => s.status)).toEqual([
            ...Array.from({ length: k - 1 }, () => 'undone'),
            'failed',
          ]);
          expect(outcome.message).toContain(`exited 7`);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('a run with no failure undoes nothing and succeeds', async () => {
    const id = ++run;
    const outcome = await live.runway.wait(await live.runway.start('steps', plan(id, 3)));
    expect(outcome.exitCode).toBe(0);
    expect(logOf(0, id)).toEqual(['do 1', 'do 2', 'do 3']);
  });

  it('cancelling a running run kills the running command and undoes the completed steps in reverse', async () => {
    const id = ++run;
    const pidFile = (h: number) => join(live.world.sandbox.hosts[h].dir, `sleeper-${id}`);
    const input = plan(id, 4, { 3: { run: `echo $$ > "$RUNWAY_HOST_DIR/sleeper-${id}"; exec sleep 120` } });
    const handle = await live.runway.start('steps', input);
    await waitFor('step 3 to be running on both hosts', async () => {
      const progress = await live.runway.progress(handle);
      const step = progress?.steps[2];
      return (
        step?.status === 'running' && Object.keys(step.hosts).length === 2 && readPid(pidFile(0)) && readPid(pidFile(1))
      );
    });
    const pids = [readPid(pidFile(0))!, readPid(pidFile(1))!];
    expect(pids.every(alive)).toBe(true);
    await handle.cancel();
    const outcome = await live.runway.wait(handle);
    expect(outcome.exitCode).toBe(4);
    expect(outcome.status).toBe('cancelled');
    expect(logOf(0, id)).toEqual(['do 1', 'do 2', 'undo 2', 'undo 1']);
    expect(logOf(1, id)).toEqual(['do 1', 'do 2', 'undo 2', 'undo 1']);
    expect(pids.some(alive)).toBe(false);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const progress = await live.runway.progress(handle);
    expect(progress?.status).toBe('cancelled');
    expect(progress?.steps.map((s) => s.status)).toEqual(['undone', 'undone', 'failed']);
  });

  it('a run that exceeds its timeout rolls back and ends timed-out (exit 4)', async () => {
    const id = ++run;
    const input = { ...plan(id, 3, { 2: { run: 'sleep 60' } }), timeout: '3s' };
    const started = Date.now();
    const outcome = await live.runway.wait(await live.runway.start('steps', input));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(outcome.exitCode).toBe(4);
    expect(outcome.status).toBe('timed-out');
    expect(logOf(0, id)).toEqual(['do 1', 'undo 1']);
  });

  it('a step past its own timeout fails (exit 1), its command is killed, and the earlier steps are undone', async () => {
    const id = ++run;
    const pidFile = join(live.world.sandbox.hosts[0].dir, `step2-${id}.pid`);
    const run2 = `echo do 2 >> ${log(id)}; echo $$ > "$RUNWAY_HOST_DIR/step2-${id}.pid"; exec sleep 30`;
    const input = plan(id, 3, { 2: { run: run2 } });
    input.steps[1].timeout = '1500ms';
    const outcome = await live.runway.wait(await live.runway.start('steps', input));
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toContain('step "step 2" did not finish within 1500 ms');
    expect(logOf(0, id)).toEqual(['do 1', 'do 2', 'undo 1']);
    const pid = readPid(pidFile);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid!)).toBe(false);
  });

  it('an undo that keeps failing ends the run rollback-incomplete: the CLI exits 3 and names the step', async () => {
    const id = ++run;
    const input = plan(id, 3, {
      1: { undo: `echo undo 1 >> ${log(id)}` },
      2: { undo: `echo undo-try 2 >> ${log(id)}; exit 1` },
      3: { run: 'exit 1' },
    });
    const result = await runCli([
      '-c',
      live.world.configFile,
      'run',
      'steps',
      '--input',
      JSON.stringify(input),
      '--wait',
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/rollback INCOMPLETE: undo of "step 2" failed/);
    // The failing undo was tried UNDO_ATTEMPTS times; the older step was still undone.
    const lines = logOf(0, id);
    expect(lines.filter((l) => l === 'undo-try 2')).toHaveLength(UNDO_ATTEMPTS);
    expect(lines.slice(0, 2)).toEqual(['do 1', 'do 2']);
    expect(lines[lines.length - 1]).toBe('undo 1');
  });

  it('retry: n runs a failing step again as a new command', async () => {
    const id = ++run;
    const counter = `"$RUNWAY_HOST_DIR/tries-${id}"`;
    const input: StepsParams = {
      environment: 'test',
      hosts: ['web-1'],
      steps: [{ name: 'flaky', run: `echo x >> ${counter}; [ $(wc -l < ${counter}) -ge 3 ]`, retry: 2 }],
    };
    const outcome = await live.runway.wait(await live.runway.start('steps', input));
    expect(outcome.exitCode).toBe(0);
    expect(
      readFileSync(join(live.world.sandbox.hosts[0].dir, `tries-${id}`), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(3);
  });
});

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Running, not a zombie waiting for this machine's pid 1 to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
