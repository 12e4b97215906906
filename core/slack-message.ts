import { countsText, type RunProgress } from './progress';

/** A Slack message: fallback text plus Block Kit blocks. Plain JSON, so it can travel through activities. */
export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

const ICON: Record<string, string> = {
  running: '⏳',
  'awaiting-approval': '✋',
  'rolling-back': '↩️',
  succeeded: '✅',
  failed: '❌',
  cancelled: '⏹️',
  rejected: '🚫',
  'timed-out': '⌛',
  invalid: '⚠️',
  'rollback-incomplete': '🆘',
};

const STEP_MARK: Record<string, string> = {
  running: '…',
  succeeded: '✓',
  failed: '✗',
  undoing: '↺',
  undone: '↩',
  'undo-failed': '‼',
};

/** The one message of a run, rendered from its progress: what, where, who, status, steps, and a link to the run. */
export function runMessage(progress: RunProgress): SlackMessage {
  const { labels } = progress;
  const what = [progress.runbook, labels.service, labels.version].filter(Boolean).join(' ');
  const title = `${ICON[progress.status] ?? ''} ${what} → ${progress.environment || '?'}: ${progress.status}`.trim();
  const field = (name: string, value: string | undefined) => ({ type: 'mrkdwn', text: `*${name}*\n${value ?? '—'}` });
  const steps = progress.steps
    .map((s) => `${STEP_MARK[s.status] ?? '?'} ${s.name}${s.counts ? ` ${countsText(s.counts)}` : ''}`)
    .join('\n');
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        field('Runbook', progress.runbook),
        field('Service', labels.service),
        field('Version', labels.version),
        field('Environment', progress.environment),
        field('Actor', labels.actor),
        field('Status', progress.status),
      ],
    },
  ];
  if (steps) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '```' + steps.slice(0, 2900) + '```' } });
  if (progress.error)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Error*: ${progress.error.slice(0, 2000)}` } });
  const link = progress.url ? `<${progress.url}|${progress.workflowId}>` : progress.workflowId;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Run ${link}` }] });
  return { text: title, blocks };
}
