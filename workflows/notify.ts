import { CancellationScope, sleep } from '@temporalio/workflow';
import { slack } from './proxies';
import { elapsed, now } from './time';
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
 * The least time between two updates of a run's message. Every update is an activity of the run, and so a workflow
 * task: without a pause, a run of quick steps updated its message once a step, doubling the workflow tasks and tripling
 * the history events of each step, faster than Slack accepts `chat.update` (about once a second per channel).
 */
export const SLACK_UPDATE_INTERVAL_MS = 2_000;

/** The patch that spaced updates out: runs recorded before it replay with an update after every change. */
export const SLACK_UPDATES_SPACED = 'slack-updates-spaced';

/**
 * The run's Slack message, posted once and updated in place, with thread replies for failures, rollbacks and approval
 * requests. Slack calls run in the background, one at a time, with state updates coalesced and — with an interval —
 * at least that far apart (a workflow timer waits out the rest; the end of the run cuts it short). A failure never
 * reaches the run: it is remembered and handed over at the end.
 */
export class Notifier {
  private ts?: string;
  private chain: Promise<void> = Promise.resolve();
  private stateQueued = false;
  private stateUndelivered = false;
  private readonly undeliveredReplies: SlackMessage[] = [];
  private readonly scope = new CancellationScope();
  /** Workflow time of the last update, and the wait before the next one while it lasts. */
  private lastUpdate?: string;
  private pause?: { scope: CancellationScope; over: Promise<void> };
  private finishing = false;

  constructor(
    private readonly channel: string,
    private readonly render: () => SlackMessage,
    private readonly intervalMs = 0,
  ) {}

  /** The run changed: bring its message up to date (once, however many changes queue behind the call in flight). */
  changed(): void {
    if (this.stateQueued) return;
    this.stateQueued = true;
    const wait = this.lastUpdate === undefined ? 0 : this.intervalMs - elapsed(this.lastUpdate);
    // No wait, no await: an update due now is queued exactly as before updates were spaced (replay depends on it).
    if (wait <= 0 || this.finishing) return this.enqueue(() => this.update());
    const scope = new CancellationScope({ cancellable: true, parent: this.scope });
    const over = scope
      .run(() => sleep(wait))
      .catch(() => undefined) // cut short by the end of the run (or its cancellation): update at once
      .then(() => {
        this.pause = undefined;
        this.enqueue(() => this.update());
      });
    this.pause = { scope, over };
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
    this.finishing = true;
    const { pause } = this;
    if (pause) {
      // The update it held back goes now, rendered when it is sent: it shows how the run ended.
      pause.scope.cancel();
      await pause.over;
    } else this.changed();
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

  private async update(): Promise<void> {
    this.stateQueued = false;
    this.lastUpdate = now();
    try {
      const { ts } = await this.send({ message: this.render(), ts: this.ts });
      this.ts ??= ts;
      this.stateUndelivered = false;
    } catch {
      this.stateUndelivered = true;
    }
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
