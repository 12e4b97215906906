import type { Approver } from '../config/schema';
import { parsePublicKey, parseSignature, verifySignature, type SshSignature } from './sshsig';
import { equalBytes, utf8 } from './ssh-wire';

/**
 * Signed approvals. An approver configured with an SSH public key decides only with a signature, made by
 * `ssh-keygen -Y sign -n runway-approval`, over {@link approvalMessage}: the run, the gate, the decision and the name.
 * A signature for another run, gate or decision, or by another key, does not verify and is refused with the reason.
 * An approver without a key is trusted by name (anyone who may send updates to the namespace can use that name).
 */

/** The `ssh-keygen -Y` namespace of approval signatures: a signature made for git or files never counts here. */
export const APPROVAL_NAMESPACE = 'runway-approval';

/** One approver as the plan carries it: the name, and the OpenSSH public key line when decisions must be signed. */
export type { Approver };

/** What a signature covers. */
export interface SignedDecision {
  workflowId: string;
  runId: string;
  gate: string;
  decision: 'approved' | 'rejected';
  by: string;
  reason?: string;
}

/** Approvers in the current shape; plans recorded before signed approvals list bare names. */
export function approverList(entries: readonly (string | Approver)[]): Approver[] {
  return entries.map((a) => (typeof a === 'string' ? { name: a } : a));
}

/**
 * The exact text an approver signs, UTF-8, one `field: value` line each, values as JSON strings (so a gate name or
 * a reason with a line break or a quote stays one unambiguous line); the reason line only when a reason is given:
 *
 * ```
 * runway approval v1
 * workflow: "deploy:production:api"
 * run: "0199c3b4-…"
 * gate: "switch api to 1.4.2"
 * decision: "approved"
 * by: "alice"
 * reason: "change 42"
 * ```
 */
export function approvalMessage(d: SignedDecision): string {
  const fields: [string, string | undefined][] = [
    ['workflow', d.workflowId],
    ['run', d.runId],
    ['gate', d.gate],
    ['decision', d.decision],
    ['by', d.by],
    ['reason', d.reason],
  ];
  const lines = fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  return ['runway approval v1', ...lines, ''].join('\n');
}

/**
 * Checks the signature on a decision against the approvers' keys and returns the signing key's fingerprint; throws
 * an Error whose message is the refusal: unsigned, not an SSH signature, another namespace, another approver's key,
 * an unknown key, or a signature that is not for this run, gate and decision.
 */
export function checkSignedDecision(d: SignedDecision, signature: string | undefined, approvers: Approver[]): string {
  const approver = approvers.find((a) => a.name === d.by);
  if (!approver?.key) throw new Error(`${d.by} has no key to sign with`);
  const verb = d.decision === 'approved' ? 'approve' : 'reject';
  if (!signature) {
    throw new Error(
      `${d.by}'s decisions must be signed: runway ${verb} ${d.workflowId} --as ${d.by} signs with ${d.by}'s key ` +
        '(--key FILE or the ssh-agent)',
    );
  }
  let sig: SshSignature;
  try {
    sig = parseSignature(signature);
  } catch (err) {
    throw new Error(`the signature is not usable: ${(err as Error).message}`);
  }
  if (sig.namespace !== APPROVAL_NAMESPACE) {
    throw new Error(
      `the signature is for namespace "${sig.namespace}", not "${APPROVAL_NAMESPACE}" (ssh-keygen -Y sign -n)`,
    );
  }
  const expected = parsePublicKey(approver.key);
  if (!equalBytes(sig.publicKey.blob, expected.blob)) {
    const owner = approvers.find((a) => a.key && equalBytes(parsePublicKey(a.key).blob, sig.publicKey.blob));
    throw new Error(
      owner
        ? `signed with ${owner.name}'s key, not ${d.by}'s`
        : `signed with a key that is not ${d.by}'s (${sig.publicKey.fingerprint}; ${d.by}'s is ${expected.fingerprint})`,
    );
  }
  if (!verifySignature(sig, utf8(approvalMessage(d)))) {
    const what = `${d.decision} "${d.gate}"${d.reason !== undefined ? ' with this reason' : ''}`;
    throw new Error(`${d.by}'s signature is not for this decision (${what} in run ${d.runId} of ${d.workflowId})`);
  }
  return expected.fingerprint;
}

/** The fingerprint of the key inside a signature, or undefined when it cannot be read: recorded with the decision. */
export function signatureFingerprint(signature: string): string | undefined {
  try {
    return parseSignature(signature).publicKey.fingerprint;
  } catch {
    return undefined;
  }
}
