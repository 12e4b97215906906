import { ApplicationFailure } from '@temporalio/activity';
import { WebClient, type WebAPICallResult } from '@slack/web-api';
import { redactDeep, resolveSecret, type LoadedConfig } from '../config';
import { FailureType } from '../core/failures';
import type { SlackMessage } from '../core/slack-message';

/** A message to post (a thread reply when `threadTs` is set) or to update in place (`ts`). */
export interface SlackRequest {
  channel: string;
  message: SlackMessage;
  ts?: string;
  threadTs?: string;
}

/** Slack errors retrying cannot fix: a bad token, an unknown channel, a malformed request. */
const PERMANENT = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'channel_not_found',
  'not_in_channel',
  'invalid_blocks',
  'message_not_found',
  'msg_too_long',
]);

/** Each Slack call gets this long; the workflow bounds retries, so a hanging Slack never holds a run for long. */
export const SLACK_CALL_TIMEOUT_MS = 5_000;

/**
 * Posts and updates a run's Slack message. The token is resolved here, at the moment of use, from the worker's config;
 * it never enters a workflow. WebClient's own retries are off: the workflow decides what to retry and for how long.
 */
export function createSlack(config: () => LoadedConfig) {
  return async function slackSend(request: SlackRequest): Promise<{ ts: string }> {
    const slack = config().config.notify.slack;
    if (!slack)
      throw ApplicationFailure.nonRetryable(
        'notify.slack is not configured on this worker',
        FailureType.SlackNotConfigured,
      );
    const client = new WebClient(resolveSecret(slack.token, 'notify.slack.token').reveal(), {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: SLACK_CALL_TIMEOUT_MS,
    });
    const { channel, ts, threadTs } = request;
    // A message quotes output tails and errors: whatever secret they might hold is redacted before it leaves.
    const message = redactDeep(request.message);
    try {
      const result: WebAPICallResult & { ts?: string } = ts
        ? await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never })
        : await client.chat.postMessage({
            channel,
            text: message.text,
            blocks: message.blocks as never,
            thread_ts: threadTs,
          });
      return { ts: result.ts ?? ts ?? '' };
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code && PERMANENT.has(code))
        throw ApplicationFailure.nonRetryable(`slack: ${code}`, FailureType.SlackRejected);
      throw new Error(`slack: ${code ?? (err as Error).message}`);
    }
  };
}
