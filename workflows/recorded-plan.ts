import { approverList, type Approver } from '../core/approval';
import type { Plan, ServicePlan } from '../core/plan';

/**
 * Plans recorded before the plan carried config sections as parsed (`timeoutMs`, `drainWaitMs`, `deliveryWindowMs`…,
 * and the service as a field-by-field copy). A run that started on an older worker replays with its recorded plan, so
 * that plan is read in the current shape here. Pure: the same recorded value always gives the same plan.
 */
interface LegacyPlan {
  timing: { heartbeatTimeoutMs: number; commandTimeoutMs: number; retry: Record<string, number> };
  service?: Record<string, unknown> & {
    name: string;
    health: Record<string, unknown> & { timeoutMs: number; intervalMs: number };
    drainWaitMs: number;
    artifact?: ServicePlan['artifact'];
  };
  approval?: { approvers: string[]; timeoutMs: number };
  notify?: { slack?: { channel: string; deliveryWindowMs: number } };
}

/** The plan in the current shape, whichever shape was recorded. */
export function currentPlan(recorded: Plan): Plan {
  const plan = 'heartbeatTimeoutMs' in (recorded.timing as object) ? fromLegacy(recorded) : recorded;
  // Plans recorded before signed approvals list approvers by name only.
  const approvers: (string | Approver)[] | undefined = plan.approval?.approvers;
  return approvers ? { ...plan, approval: { ...plan.approval!, approvers: approverList(approvers) } } : plan;
}

function fromLegacy(recorded: Plan): Plan {
  const old = recorded as unknown as Plan & LegacyPlan;
  const { timing, service, approval, notify } = old;
  const plan: Plan = {
    ...old,
    timing: {
      heartbeatTimeout: timing.heartbeatTimeoutMs,
      commandTimeout: timing.commandTimeoutMs,
      retry: {
        attempts: timing.retry.maximumAttempts,
        initialInterval: timing.retry.initialIntervalMs,
        maxInterval: timing.retry.maximumIntervalMs,
      },
    },
    approval: approval && { approvers: approverList(approval.approvers), timeout: approval.timeoutMs },
    notify: notify && {
      slack: notify.slack && { channel: notify.slack.channel, deliveryWindow: notify.slack.deliveryWindowMs },
    },
  };
  if (service) {
    const { name, artifact, drainWaitMs, health, ...rest } = service;
    const { timeoutMs, intervalMs, ...checks } = health;
    plan.service = {
      name,
      artifact,
      config: { ...rest, health: { ...checks, timeout: timeoutMs, interval: intervalMs }, drainWait: drainWaitMs },
    } as unknown as ServicePlan;
  }
  return plan;
}
