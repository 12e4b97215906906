import {
  ActivityCancellationType,
  proxyActivities,
  type ActivityInterfaceFor,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType } from '../core/failures';
import type { PlanTiming } from '../core/plan';

/** Resolving the plan reads config on the worker: quick, and safe to retry. */
export const PLAN_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FailureType.InvalidInput] },
};

/**
 * Slack calls are short and retried little: Slack trouble must never hold a run. What is not delivered during the run
 * is handed to the `deliverNotifications` workflow, which keeps trying after the run has ended.
 */
export const SLACK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '8s',
  retry: {
    maximumAttempts: 2,
    initialInterval: '1s',
    nonRetryableErrorTypes: [FailureType.SlackRejected, FailureType.SlackNotConfigured],
  },
};

/** The audit line is written on the worker's disk: quick, worth a few tries. */
export const AUDIT_OPTIONS: ActivityOptions = { startToCloseTimeout: '15s', retry: { maximumAttempts: 5 } };

/** Extra time an activity gets beyond the longest command, for connecting and collecting the result. */
export const COMMAND_MARGIN_MS = 60_000;

/** Activities that only talk to config (plan resolution). Declared once, at module top. */
export const control = proxyActivities<Activities>(PLAN_OPTIONS);
export const slack = proxyActivities<Activities>(SLACK_OPTIONS);
export const records = proxyActivities<Activities>(AUDIT_OPTIONS);

const byTiming = new Map<string, ActivityInterfaceFor<Activities>>();

/**
 * Activities that act on hosts, with timeouts and retries from the plan (config), so tests can shorten them.
 * A cancelled command is waited for until the remote process is killed, so no undo runs beside it.
 */
export function hostActivities(timing: PlanTiming): ActivityInterfaceFor<Activities> {
  const key = JSON.stringify(timing);
  let proxies = byTiming.get(key);
  if (!proxies) {
    proxies = proxyActivities<Activities>({
      startToCloseTimeout: timing.commandTimeout + COMMAND_MARGIN_MS,
      heartbeatTimeout: timing.heartbeatTimeout,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: {
        maximumAttempts: timing.retry.attempts,
        initialInterval: timing.retry.initialInterval,
        maximumInterval: timing.retry.maxInterval,
        backoffCoefficient: 2,
      },
    });
    byTiming.set(key, proxies);
  }
  return proxies;
}
