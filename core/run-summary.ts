/** A run's Markdown summary for a CI job page: the sibling of its Slack message, rendered from the same report. */
import type { Outcome } from './outcome';

const MARK: Record<string, string> = {
  succeeded: '✅',
  undone: '↩️',
  failed: '❌',
  'undo-failed': '🆘',
  running: '⏳',
};

/** A Markdown summary of a run for a CI job page: outcome, steps with their hosts, approvals, undelivered messages. */
export function markdownSummary(outcome: Outcome, link?: string): string {
  const report = outcome.report;
  const title = report
    ? `${report.runbook} ${[report.labels.service, report.labels.version].filter(Boolean).join(' ')} → ${report.environment}`
    : 'runway';
  const lines = [`### ${title}: ${outcome.status} (exit ${outcome.exitCode})`, '', outcome.message, ''];
  if (report?.steps.length) {
    lines.push('| step | status | hosts |', '|---|---|---|');
    for (const step of report.steps) {
      const hosts = Object.entries(step.hosts)
        .map(([name, h]) => `${name}: ${h.status}`)
        .join(', ');
      lines.push(`| ${step.name.replace(/\|/g, '\\|')} | ${MARK[step.status] ?? ''} ${step.status} | ${hosts} |`);
    }
    lines.push('');
  }
  for (const a of report?.approvals ?? [])
    lines.push(`- ${a.gate}: ${a.decision}${a.by ? ` by ${a.by}` : ''} at ${a.at}`);
  if (report?.notifications?.undelivered.length) {
    lines.push(
      `- Slack: ${report.notifications.undelivered.length} message(s) undelivered, retried by ${report.notifications.retriedBy}`,
    );
  }
  if (link ?? report?.url) lines.push('', `[The run in Temporal](${link ?? report?.url})`);
  return lines.join('\n') + '\n';
}

/**
 * A run's one-line summary, as the Temporal Web UI shows it beside the workflow id: runbook, service and version (or
 * the set, drill or certificate), environment, actor — `deploy api 1.4.2 → production · by alice`.
 */
export function runSummaryLine(runbook: string, input: Record<string, unknown>): string {
  const text = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  const subject = [text('service'), text('version'), text('set'), text('drill'), text('certificate')].filter(Boolean);
  const names = Array.isArray(input.names) ? (input.names as unknown[]).filter((n) => typeof n === 'string') : [];
  const what = [runbook, ...subject, ...names].join(' ');
  const where = text('environment') ? ` → ${text('environment')}` : '';
  const who = text('actor') ? ` · by ${text('actor')}` : '';
  return `${what}${where}${who}`.slice(0, 200);
}
