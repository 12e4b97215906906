import { countsText, type HostProgress, type RunProgress, type StepProgress } from '../core/progress';
import type { ChildOutcome } from './lib';

const MARK: Record<string, string> = {
  running: '…',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
  undoing: '↺',
  undone: '↩',
  'undo-failed': '‼',
};

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`;
}

function stepMs(step: StepProgress, now: number): number {
  return (step.endedAt ? Date.parse(step.endedAt) : now) - Date.parse(step.startedAt);
}

function hostCell(name: string, host: HostProgress): string {
  const exit = host.exitCode !== undefined && host.exitCode !== 0 ? ` exit ${host.exitCode}` : '';
  return `${name} ${MARK[host.status] ?? '?'}${exit}${host.durationMs !== undefined ? ` ${seconds(host.durationMs)}` : ''}`;
}

/** A large command's hosts by outcome (run in child workflows, its step lists only the hosts that did not succeed). */
/** The live view: a header and one line per step with its hosts. Redrawn in place on a TTY. */
export function renderLines(progress: RunProgress, now = Date.now()): string[] {
  const total = (progress.endedAt ? Date.parse(progress.endedAt) : now) - Date.parse(progress.startedAt);
  const lines = [`${progress.runbook} on ${progress.environment || '?'} — ${progress.status} (${seconds(total)})`];
  for (const step of progress.steps) {
    const hosts = Object.entries(step.hosts).map(([name, h]) => hostCell(name, h));
    if (step.counts) hosts.unshift(countsText(step.counts));
    lines.push(
      `  ${MARK[step.status] ?? '?'} ${step.name} ${seconds(stepMs(step, now))}  ${hosts.join('  ')}`.trimEnd(),
    );
    if (step.undo) {
      const undoHosts = Object.entries(step.undo.hosts).map(([name, h]) => hostCell(name, h));
      const error = step.undo.error && step.status === 'undo-failed' ? ` — ${step.undo.error}` : '';
      lines.push(`      undo (try ${step.undo.attempts}) ${undoHosts.join('  ')}${error}`.trimEnd());
    }
  }
  return lines;
}

/** Plain-text events for logs (CI): one line per step or host change, each printed once. */
export function progressEvents(progress: RunProgress): string[] {
  const events: string[] = [];
  for (const step of progress.steps) {
    events.push(`step "${step.name}" started`);
    for (const [name, host] of Object.entries(step.hosts)) {
      if (host.status !== 'running') events.push(`step "${step.name}" ${hostCell(name, host)}`);
    }
    if (step.status !== 'running') {
      const counts = step.counts ? ` (${countsText(step.counts)})` : '';
      events.push(`step "${step.name}" ${step.status}${counts}${step.error ? `: ${step.error}` : ''}`);
    }
    if (step.undo) {
      for (const [name, host] of Object.entries(step.undo.hosts)) {
        if (host.status !== 'running') events.push(`undo "${step.name}" ${hostCell(name, host)}`);
      }
    }
  }
  if (!['running', 'rolling-back'].includes(progress.status)) events.push(`run ${progress.status}`);
  else if (progress.status === 'rolling-back') events.push('rolling back');
  return events;
}

/**
 * Each host's output tails, for commands like `runway exec` whose output is the point. A step that ran in child
 * workflows (it has counts) shows its hosts from `children` (their outcomes, RunwayClient.childOutcomes) instead.
 */
export function renderOutputs(progress: RunProgress, children: ChildOutcome[] = []): string[] {
  const lines: string[] = [];
  for (const step of progress.steps) {
    if (step.counts) continue;
    for (const [name, host] of Object.entries(step.hosts)) {
      lines.push(`── ${name} (${host.status}${host.exitCode !== undefined ? `, exit ${host.exitCode}` : ''})`);
      if (host.stdoutTail) lines.push(host.stdoutTail.trimEnd());
      if (host.stderrTail) lines.push(host.stderrTail.trimEnd().replace(/^/gm, 'stderr: '));
      if (host.error) lines.push(`error: ${host.error}`);
    }
  }
  for (const o of children) {
    if (o.status === 'rejected') {
      lines.push(`── ${o.host ?? o.child} (failed)`, `error: ${o.error}`);
    } else if (o.status === 'skipped') {
      lines.push(`── ${o.host} (skipped)`);
    } else {
      const r = o.value as { exitCode?: number; stdout?: string; stderr?: string };
      const status = r.exitCode === 0 ? 'succeeded' : 'failed';
      lines.push(`── ${o.host} (${status}${r.exitCode !== undefined ? `, exit ${r.exitCode}` : ''})`);
      if (r.stdout) lines.push(r.stdout.trimEnd());
      if (r.stderr) lines.push(r.stderr.trimEnd().replace(/^/gm, 'stderr: '));
    }
  }
  return lines;
}
