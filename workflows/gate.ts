import { ApplicationFailure, condition, defineUpdate, setHandler } from '@temporalio/workflow';
import { FailureType } from '../core/failures';
import { APPROVE_UPDATE, REJECT_UPDATE } from '../core/names';
import type { Approval, Decision, RunProgress } from '../core/progress';
import { now } from './time';

/** Approves the gate the run is waiting at. Refused (with the reason) for anyone not in the approvers. */
export const approveUpdate = defineUpdate<Approval, [Decision]>(APPROVE_UPDATE);
/** Rejects the gate the run is waiting at: the run rolls back and ends `rejected` (exit 4). */
export const rejectUpdate = defineUpdate<Approval, [Decision]>(REJECT_UPDATE);

/**
 * Approval gates of one run. The updates are registered at the start of every run, so a premature or unauthorised
 * approval is refused with a reason instead of being lost; each decision is recorded in the progress (and so in the
 * history, the report and the audit log).
 */
export class Gatekeeper {
  private waiting?: { gate: string; approvers: string[]; decision?: Approval };

  constructor(private readonly progress: RunProgress) {}

  /** Registers the approve/reject updates with their validators. */
  install(): void {
    const handle = (decision: Approval['decision']) => (input: Decision) => {
      const record: Approval = { gate: this.waiting!.gate, decision, by: input.by, reason: input.reason, at: now() };
      this.waiting!.decision = record;
      return record;
    };
    setHandler(approveUpdate, handle('approved'), { validator: (input) => this.validate(input) });
    setHandler(rejectUpdate, handle('rejected'), { validator: (input) => this.validate(input) });
  }

  /**
   * Waits at a gate until an approver decides or `timeoutMs` passes. Approval returns; rejection or timeout throws a
   * `Rejected` failure, which rolls the run back.
   */
  async gate(gate: string, approvers: string[], timeoutMs: number): Promise<Approval> {
    this.waiting = { gate, approvers };
    try {
      const decided = await condition(() => this.waiting?.decision !== undefined, timeoutMs);
      const record = decided ? this.waiting.decision! : { gate, decision: 'timed-out' as const, at: now() };
      (this.progress.approvals ??= []).push(record);
      if (record.decision === 'approved') return record;
      const why =
        record.decision === 'timed-out'
          ? `no approval for "${gate}" within ${timeoutMs} ms`
          : `"${gate}" rejected by ${record.by}${record.reason ? `: ${record.reason}` : ''}`;
      throw ApplicationFailure.create({ type: FailureType.Rejected, message: why, nonRetryable: true });
    } finally {
      this.waiting = undefined;
    }
  }

  private validate(input: Decision): void {
    if (!input || typeof input.by !== 'string' || input.by.trim() === '')
      throw new Error('say who decides: { "by": "<name>" }');
    if (!this.waiting) throw new Error('this run is not waiting for an approval');
    if (this.waiting.decision) throw new Error(`"${this.waiting.gate}" was already decided`);
    if (!this.waiting.approvers.includes(input.by)) {
      throw new Error(
        `${input.by} may not decide "${this.waiting.gate}" (approvers: ${this.waiting.approvers.join(', ')})`,
      );
    }
  }
}
