import { ApplicationFailure, condition, defineUpdate, setHandler } from '@temporalio/workflow';
import { checkSignedDecision, signatureFingerprint, type Approver } from '../core/approval';
import { FailureType } from '../core/failures';
import { APPROVE_UPDATE, REJECT_UPDATE } from '../core/names';
import type { Approval, Decision, RunProgress } from '../core/progress';
import { now } from './time';

/**
 * Approves the gate the run is waiting at. Refused (with the reason) for anyone not in the approvers, and for an
 * approver configured with an SSH key unless signed with that key for this run, gate and decision.
 */
export const approveUpdate = defineUpdate<Approval, [Decision]>(APPROVE_UPDATE);
/** Rejects the gate the run is waiting at: the run rolls back and ends `rejected` (exit 4). Signed like an approval. */
export const rejectUpdate = defineUpdate<Approval, [Decision]>(REJECT_UPDATE);

type Verdict = 'approved' | 'rejected';

/**
 * Approval gates of one run. The updates are registered at the start of every run, so a premature or unauthorised
 * approval is refused with a reason instead of being lost; each decision is recorded in the progress (and so in the
 * history, the report and the audit log). Signatures are checked in the validator, which is synchronous and cannot
 * call an activity — hence the pure verifier in core/ — and which is not run on replay, so the handler re-reads only
 * the signing key's fingerprint, a pure function of the recorded input.
 */
export class Gatekeeper {
  private waiting?: { gate: string; approvers: Approver[]; decision?: Approval };

  constructor(private readonly progress: RunProgress) {}

  /** Registers the approve/reject updates with their validators. */
  install(): void {
    const handle = (decision: Verdict) => (input: Decision) => {
      const { gate, approvers } = this.waiting!;
      const record: Approval = { gate, decision, by: input.by, reason: input.reason, at: now() };
      const signed = approvers.find((a) => a.name === input.by)?.key && input.signature;
      const fingerprint = signed ? signatureFingerprint(signed) : undefined;
      if (fingerprint) record.signedWith = fingerprint;
      this.waiting!.decision = record;
      return record;
    };
    setHandler(approveUpdate, handle('approved'), { validator: (input) => this.validate(input, 'approved') });
    setHandler(rejectUpdate, handle('rejected'), { validator: (input) => this.validate(input, 'rejected') });
  }

  /**
   * Waits at a gate until an approver decides or `timeoutMs` passes. Approval returns; rejection or timeout throws a
   * `Rejected` failure, which rolls the run back.
   */
  async gate(gate: string, approvers: Approver[], timeoutMs: number): Promise<Approval> {
    this.waiting = { gate, approvers };
    this.progress.awaiting = { gate, approvers };
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
      delete this.progress.awaiting;
    }
  }

  private validate(input: Decision, decision: Verdict): void {
    if (!input || typeof input.by !== 'string' || input.by.trim() === '')
      throw new Error('say who decides: { "by": "<name>" }');
    if (input.reason !== undefined && typeof input.reason !== 'string') throw new Error('"reason" must be a text');
    if (input.signature !== undefined && typeof input.signature !== 'string') {
      throw new Error('"signature" must be the armored text of ssh-keygen -Y sign');
    }
    if (!this.waiting) throw new Error('this run is not waiting for an approval');
    const { gate, approvers } = this.waiting;
    if (this.waiting.decision) throw new Error(`"${gate}" was already decided`);
    const approver = approvers.find((a) => a.name === input.by);
    if (!approver) {
      throw new Error(`${input.by} may not decide "${gate}" (approvers: ${approvers.map((a) => a.name).join(', ')})`);
    }
    if (!approver.key) return;
    const { workflowId, runId } = this.progress;
    const signed = { workflowId, runId, gate, decision, by: input.by, reason: input.reason };
    checkSignedDecision(signed, input.signature, approvers);
  }
}
