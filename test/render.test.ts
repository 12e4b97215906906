import { PassThrough } from 'node:stream';
import type { WorkflowHandle } from '@temporalio/client';
import { follow } from '../client/follow';
import type { RunwayClient } from '../client/lib';
import type { Outcome } from '../client/outcome';
import { progressEvents, renderLines, renderOutputs } from '../client/render';
import type { RunProgress } from '../workflows/progress';

const T0 = '2026-11-22T10:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

function progress(status: RunProgress['status'], steps: RunProgress['steps']): RunProgress {
  return {
    runbook: 'steps',
    environment: 'staging',
    workflowId: 'w',
    runId: 'r',
    status,
    startedAt: T0,
    steps,
    labels: {},
  };
}

const running = progress('running', [
  {
    name: 'stop',
    status: 'succeeded',
    startedAt: at(0),
    endedAt: at(1),
    hosts: { 'web-1': { status: 'succeeded', command: 'x', exitCode: 0, startedAt: at(0), durationMs: 900 } },
  },
  {
    name: 'migrate',
    status: 'running',
    startedAt: at(1),
    hosts: { 'web-1': { status: 'running', command: 'y', startedAt: at(1) } },
  },
]);
const rolledBack = progress('failed', [
  {
    name: 'stop',
    status: 'undone',
    startedAt: at(0),
    endedAt: at(1),
    hosts: { 'web-1': { status: 'succeeded', command: 'x', exitCode: 0, startedAt: at(0), durationMs: 900 } },
    undo: {
      attempts: 1,
      hosts: { 'web-1': { status: 'succeeded', command: 'u', exitCode: 0, startedAt: at(3), durationMs: 100 } },
    },
  },
  {
    name: 'migrate',
    status: 'failed',
    startedAt: at(1),
    endedAt: at(2),
    error: 'command failed: web-1: exited 2 (boom)',
    hosts: {
      'web-1': {
        status: 'failed',
        command: 'y',
        exitCode: 2,
        stdoutTail: 'out\n',
        stderrTail: 'boom\n',
        startedAt: at(1),
        durationMs: 1000,
      },
    },
  },
]);
rolledBack.endedAt = at(4);

describe('progress rendering', () => {
  it('renders a live view: header, a line per step with its hosts, undo lines', () => {
    expect(renderLines(running, Date.parse(at(3)))).toEqual([
      'steps on staging — running (3.0s)',
      '  ✓ stop 1.0s  web-1 ✓ 0.9s',
      '  … migrate 2.0s  web-1 …',
    ]);
    expect(renderLines(rolledBack)).toEqual([
      'steps on staging — failed (4.0s)',
      '  ↩ stop 1.0s  web-1 ✓ 0.9s',
      '      undo (try 1) web-1 ✓ 0.1s',
      '  ✗ migrate 1.0s  web-1 ✗ exit 2 1.0s',
    ]);
  });

  it('turns progress into plain event lines for CI logs', () => {
    expect(progressEvents(rolledBack)).toEqual([
      'step "stop" started',
      'step "stop" web-1 ✓ 0.9s',
      'step "stop" undone',
      'undo "stop" web-1 ✓ 0.1s',
      'step "migrate" started',
      'step "migrate" web-1 ✗ exit 2 1.0s',
      'step "migrate" failed: command failed: web-1: exited 2 (boom)',
      'run failed',
    ]);
  });

  it("prints each host's output tails", () => {
    expect(renderOutputs(rolledBack).slice(-3)).toEqual(['── web-1 (failed, exit 2)', 'out', 'stderr: boom']);
  });
});

describe('follow', () => {
  /** A client double: progress advances on each poll; the run ends after the third. */
  function fakeClient(): RunwayClient {
    let polls = 0;
    let finish: (o: Outcome) => void = () => undefined;
    const done = new Promise<Outcome>((r) => (finish = r));
    return {
      progress: async () => {
        polls++;
        if (polls === 3) finish({ exitCode: 1, status: 'failed', message: 'steps failed', report: rolledBack });
        return polls === 1 ? progress('running', running.steps.slice(0, 1)) : running;
      },
      wait: () => done,
    } as unknown as RunwayClient;
  }

  async function capture(tty: boolean): Promise<{ text: string; outcome: Outcome }> {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean };
    out.isTTY = tty;
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const outcome = await follow(fakeClient(), {} as WorkflowHandle, out as unknown as NodeJS.WriteStream);
    return { text, outcome };
  }

  it('in CI prints each event once, in order, then returns the outcome', async () => {
    const { text, outcome } = await capture(false);
    expect(outcome.exitCode).toBe(1);
    const lines = text.trim().split('\n');
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines[0]).toBe('step "stop" started');
    expect(lines[lines.length - 1]).toBe('run failed');
  });

  it('on a TTY redraws the block in place', async () => {
    const { text } = await capture(true);
    expect(text).toContain('\x1b[3F\x1b[J'); // moved up over the previous 3-line block and cleared it
    expect(text.trimEnd().endsWith('  ✗ migrate 1.0s  web-1 ✗ exit 2 1.0s')).toBe(true);
  });
});
