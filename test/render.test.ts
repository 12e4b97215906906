import { PassThrough } from 'node:stream';
import type { WorkflowHandle } from '@temporalio/client';
import { follow } from '../client/follow';
import type { RunwayClient } from '../client/lib';
import type { Outcome } from '../client/outcome';
import { progressEvents, renderLines, renderOutputs } from '../client/render';
import { hostSpan, someOf } from '../core/batches';
import { countsText } from '../core/progress';
import { runMessage } from '../core/slack-message';
import { agreed } from '../runbooks/deploy/state';
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

describe('a fleet in a few words', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `web-${i + 1}`);

  it('names a batch of up to five hosts in full, a larger one by its first and last host', () => {
    expect(hostSpan(names(1))).toBe('web-1');
    expect(hostSpan(names(5))).toBe('web-1, web-2, web-3, web-4, web-5');
    expect(hostSpan(names(100))).toBe('web-1 … web-100 (100 hosts)');
  });

  it('lists up to ten items, then how many more', () => {
    expect(someOf(names(10))).toBe(names(10).join(', '));
    expect(someOf(names(1000))).toBe(`${names(10).join(', ')}, and 990 more`);
    expect(someOf(['a: x', 'b: y', 'c: z'], 2, '; ')).toBe('a: x; b: y; and 1 more');
  });

  it('shows a step that ran in child workflows with its counts, in Slack as in the terminal', () => {
    const counts = { succeeded: 980, failed: 20, skipped: 0 };
    const step = { name: 'batch 3/10: web-201 … web-300 (100 hosts)', status: 'failed' as const, startedAt: T0 };
    const message = JSON.stringify(runMessage(progress('failed', [{ ...step, hosts: {}, counts }])));
    expect(countsText(counts)).toBe('[980 ✓ 20 ✗]');
    expect(message).toContain('batch 3/10: web-201 … web-300 (100 hosts) [980 ✓ 20 ✗]');
    expect(countsText({ succeeded: 60, failed: 0, skipped: 40 })).toBe('[60 ✓ 40 skipped]');
  });

  it('says which hosts disagree on a release by value, a few names each', () => {
    const values = names(30).map((h, i): [string, string | undefined] => [h, i < 28 ? '1.0.0' : undefined]);
    expect(() => agreed('previous release', values)).toThrow(
      'the hosts disagree on the previous release (1.0.0 on web-1, web-2, web-3, web-4, web-5, and 23 more; ' +
        'none on web-29, web-30); make them agree before deploying',
    );
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
