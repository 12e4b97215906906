import { sleep } from '@temporalio/workflow';
import type { PendingNotifications } from './notify';
import { slack } from './proxies';
import { now, elapsed } from './time';

/** Input of {@link deliverNotifications}. */
export interface DeliveryInput extends PendingNotifications {
  windowMs: number;
}

/** What became of the messages a run could not deliver. */
export interface DeliveryReport {
  delivered: string[];
  undelivered: string[];
}

/**
 * Keeps delivering a finished run's Slack messages while Slack is down — its final state (posting it fresh if it was
 * never posted) and its thread replies — with backoff, for `windowMs`. Started by the run as an abandoned child, so
 * the run itself ends on time; its result lists what still could not be delivered.
 */
export async function deliverNotifications(input: DeliveryInput): Promise<DeliveryReport> {
  const started = now();
  const delivered: string[] = [];
  let { ts, state } = input;
  const replies = [...input.replies];
  for (let delay = 1_000; ; delay = Math.min(delay * 2, 30_000)) {
    try {
      if (state) {
        const result = await slack.slackSend.executeWithOptions({ summary: `Slack ${input.channel} (delivery)` }, [
          { channel: input.channel, message: state, ts },
        ]);
        ts ??= result.ts;
        delivered.push(`run message: ${state.text}`);
        state = undefined;
      }
      while (replies.length > 0 && ts) {
        await slack.slackSend.executeWithOptions({ summary: `Slack ${input.channel} (delivery)` }, [
          { channel: input.channel, message: replies[0], threadTs: ts },
        ]);
        delivered.push(`reply: ${replies.shift()!.text}`);
      }
      if (replies.length === 0) return { delivered, undelivered: [] };
    } catch {
      // Slack still down: try again after a pause, while the window lasts.
    }
    if (elapsed(started) + delay > input.windowMs) {
      const undelivered = [...(state ? [`run message: ${state.text}`] : []), ...replies.map((r) => `reply: ${r.text}`)];
      return { delivered, undelivered };
    }
    await sleep(delay);
  }
}
