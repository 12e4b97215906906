import { CancellationScope, sleep } from '@temporalio/workflow';
import { slack } from './proxies';
import type { SlackMessage } from '../core/slack-message';

/** What is left to deliver when a run ends: handed to the `deliverNotifications` workflow. */
export interface PendingNotifications {
  channel: string;
  /** The run message: its last state, and its ts when it was posted at least once. */
  ts?: string;
  state?: SlackMessage;
  replies: SlackMessage[];
}

/** How long the end of a run waits for Slack calls still in flight before handing them over. */
export const NOTIFY_FINISH_MS = 15_000;

/**
 * The run's Slack message, posted once and updated in place, with thread replies for failures, rollbacks and approval
 * requests. Slack calls run in the background, one at a time, with state updates coalesced; a failure never reaches
 * the run — it is remembered and handed over at the end.
 */
export class Notifier {
  private ts?: string;
  private chain: Promise<void> = Promise.resolve();
  private stateQueued = false;
  private stateUndelivered = false;
  private readonly undeliveredReplies: SlackMessage[] = [];
  private readonly scope = new CancellationScope();

  constructor(
    private readonly channel: string,
    private readonly render: () => SlackMessage,
  ) {}

  /** The run changed: bring its message up to date (once, however many changes queue behind the call in flight). */
  changed(): void {
    if (this.stateQueued) return;
    this.stateQueued = true;
    this.enqueue(async () => {
      this.stateQueued = false;
      try {
        const { ts } = await this.send({ message: this.render(), ts: this.ts });
        this.ts ??= ts;
        this.stateUndelivered = false;
      } catch {
        this.stateUndelivered = true;
      }
    });
  }

  /** A thread reply under the run message (failure, rollback, approval request). */
  reply(text: string): void {
    const message: SlackMessage = { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
    this.enqueue(async () => {
      if (!this.ts) return void this.undeliveredReplies.push(message);
      try {
        await this.send({ message, threadTs: this.ts });
      } catch {
        this.undeliveredReplies.push(message);
      }
    });
  }

  /**
   * Sends the final state and waits — at most {@link NOTIFY_FINISH_MS} — for what is in flight; whatever is still
   * undelivered is returned, to be retried after the run.
   */
  async finish(): Promise<PendingNotifications | undefined> {
    this.changed();
    const timer = new CancellationScope();
    await Promise.race([this.chain, timer.run(() => sleep(NOTIFY_FINISH_MS)).catch(() => undefined)]);
    timer.cancel();
    this.scope.cancel(); // calls still hanging are abandoned and counted as undelivered
    await this.chain;
    if (!this.stateUndelivered && this.undeliveredReplies.length === 0) return undefined;
    return {
      channel: this.channel,
      ts: this.ts,
      state: this.stateUndelivered ? this.render() : undefined,
      replies: [...this.undeliveredReplies],
    };
  }

  private send(request: { message: SlackMessage; ts?: string; threadTs?: string }): Promise<{ ts: string }> {
    return this.scope.run(() =>
      slack.slackSend.executeWithOptions({ summary: `Slack ${this.channel}` }, [{ channel: this.channel, ...request }]),
    );
  }

  /** Operations never throw (each records its own failure); after `finish` cancels the scope they fail at once. */
  private enqueue(op: () => Promise<void>): void {
    this.chain = this.chain.then(op);
  }
}
