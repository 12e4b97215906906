import fc from 'fast-check';
import { approvalMessage, APPROVAL_NAMESPACE, checkSignedDecision, type SignedDecision } from '../core/approval';
import { fromBase64, toBase64, utf8 } from '../core/ssh-wire';
import { parsePublicKey, parseSignature, verifySignature } from '../core/sshsig';
import { makeKeys, sshFingerprint, sshSign } from './support/approver-keys';

/** The pure SSHSIG verifier against signatures made by the real ssh-keygen. */
describe('ssh signatures (PROTOCOL.sshsig)', () => {
  const keys = { ...makeKeys(['alice', 'bob']), ...makeKeys(['erin'], 'ecdsa') };
  const rsa = makeKeys(['rob'], 'rsa').rob;
  const message = 'runway approval v1\nrun: "r1"\n';

  it.each([
    ['ed25519, sha512 (the default)', 'alice', undefined],
    ['ed25519, sha256', 'alice', 'sha256' as const],
    ['ecdsa-sha2-nistp256', 'erin', undefined],
    ['ecdsa-sha2-nistp256, sha256', 'erin', 'sha256' as const],
  ])('%s: a signature of the message verifies; of another message it does not', (_, who, hashalg) => {
    const sig = parseSignature(sshSign(keys[who].file, message, APPROVAL_NAMESPACE, hashalg));
    expect(sig.namespace).toBe(APPROVAL_NAMESPACE);
    expect(sig.hashAlgorithm).toBe(hashalg ?? 'sha512');
    expect(sig.publicKey.fingerprint).toBe(sshFingerprint(keys[who].file));
    expect(verifySignature(sig, utf8(message))).toBe(true);
    expect(verifySignature(sig, utf8(message.replace('r1', 'r2')))).toBe(false);
  });

  it('a signature made for another namespace does not verify as one for ours', () => {
    const sig = parseSignature(sshSign(keys.alice.file, message, 'git'));
    expect(sig.namespace).toBe('git');
    expect(verifySignature(sig, utf8(message))).toBe(true);
    expect(verifySignature({ ...sig, namespace: APPROVAL_NAMESPACE }, utf8(message))).toBe(false);
  });

  it.each(['alice', 'erin'])('a tampered signature (%s) does not verify', (who) => {
    const sig = parseSignature(sshSign(keys[who].file, message, APPROVAL_NAMESPACE));
    expect(verifySignature(sig, utf8(message))).toBe(true);
    for (const at of [0, Math.floor(sig.signature.length / 2), sig.signature.length - 1]) {
      const signature = Uint8Array.from(sig.signature);
      signature[at] ^= 0x01;
      expect(verifySignature({ ...sig, signature }, utf8(message))).toBe(false);
    }
  });

  it("a signature presented with another key (bob's) does not verify", () => {
    const sig = parseSignature(sshSign(keys.alice.file, message, APPROVAL_NAMESPACE));
    expect(verifySignature({ ...sig, publicKey: parsePublicKey(keys.bob.publicKey) }, utf8(message))).toBe(false);
  });

  it('public keys: the fingerprint is what ssh-keygen -l prints', () => {
    for (const who of ['alice', 'erin']) {
      const key = parsePublicKey(keys[who].publicKey);
      expect(key.fingerprint).toBe(sshFingerprint(keys[who].file));
      expect(key.type).toBe(who === 'erin' ? 'ecdsa-sha2-nistp256' : 'ssh-ed25519');
    }
  });

  it.each([
    ['', 'expected an OpenSSH public key line'],
    ['ssh-ed25519', 'expected an OpenSSH public key line'],
    ['RSA', 'unsupported key type ssh-rsa (supported: ssh-ed25519, ecdsa-sha2-nistp256)'],
    ['ssh-ed25519 not*base64', 'the ssh-ed25519 key is not base64'],
    ['TRUNCATED', 'malformed public key'],
    ['MISLABELLED', 'the key says ssh-ed25519 but holds a ecdsa-sha2-nistp256 key'],
  ])('a public key line %j is refused: %s', (line, why) => {
    const alice = keys.alice.publicKey.split(' ')[1];
    const text =
      line === 'RSA'
        ? rsa.publicKey
        : line === 'TRUNCATED'
          ? `ssh-ed25519 ${alice.slice(0, 40)}`
          : line === 'MISLABELLED'
            ? `ssh-ed25519 ${keys.erin.publicKey.split(' ')[1]}`
            : line;
    expect(() => parsePublicKey(text)).toThrow(why);
  });

  it.each([
    ['not armored', 'hello', 'not an armored SSH signature'],
    ['not base64 inside', '-----BEGIN SSH SIGNATURE-----\n%%%\n-----END SSH SIGNATURE-----', 'not an armored'],
    ['another magic', armor(utf8('SSHSIX\0\0\0\x01')), 'not an SSHSIG signature'],
    ['another version', armor(utf8('SSHSIG\0\0\0\x02')), 'SSHSIG version 2 is not supported'],
    ['truncated', armor(utf8('SSHSIG\0\0\0\x01\0\0')), 'the signature is truncated'],
  ])('a signature that is %s is refused', (_, text, why) => {
    expect(() => parseSignature(text)).toThrow(why);
  });

  it('base64 decodes what Buffer encodes, and encodes what Buffer decodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(toBase64(bytes)).toBe(text);
        expect(Array.from(fromBase64(text)!)).toEqual(Array.from(bytes));
      }),
    );
    expect(fromBase64('ab=c')).toBeUndefined();
    expect(fromBase64('a')).toBeUndefined();
  });
});

describe('signed decisions', () => {
  const keys = makeKeys(['alice', 'bob', 'mallory']);
  const approvers = [
    { name: 'alice', key: keys.alice.publicKey },
    { name: 'bob', key: keys.bob.publicKey },
    { name: 'carol' },
  ];
  const decision: SignedDecision = {
    workflowId: 'deploy:production:api',
    runId: 'run-1',
    gate: 'switch api to 1.4.2',
    decision: 'approved',
    by: 'alice',
  };
  const sign = (who: string, d: SignedDecision, namespace = APPROVAL_NAMESPACE) =>
    sshSign(keys[who].file, approvalMessage(d), namespace);

  it('the message is one JSON-quoted field a line, the reason only when given', () => {
    expect(approvalMessage({ ...decision, gate: 'say "hi"\nthen go', reason: 'change 42' })).toBe(
      [
        'runway approval v1',
        'workflow: "deploy:production:api"',
        'run: "run-1"',
        'gate: "say \\"hi\\"\\nthen go"',
        'decision: "approved"',
        'by: "alice"',
        'reason: "change 42"',
        '',
      ].join('\n'),
    );
    expect(approvalMessage(decision)).not.toContain('reason');
  });

  it("alice's signature of this decision passes, with her key's fingerprint", () => {
    expect(checkSignedDecision(decision, sign('alice', decision), approvers)).toBe(sshFingerprint(keys.alice.file));
  });

  it.each<[string, () => string | undefined, string]>([
    [
      'missing',
      () => undefined,
      "alice's decisions must be signed: runway approve deploy:production:api --as alice signs with alice's key",
    ],
    ["by bob's key", () => sign('bob', decision), "signed with bob's key, not alice's"],
    ['by an unknown key', () => sign('mallory', decision), "signed with a key that is not alice's (SHA256:"],
    ['for another run', () => sign('alice', { ...decision, runId: 'run-0' }), "alice's signature is not for this"],
    ['for another gate', () => sign('alice', { ...decision, gate: 'migrate' }), "alice's signature is not for this"],
    ['for a rejection', () => sign('alice', { ...decision, decision: 'rejected' }), 'not for this decision'],
    ['for another reason', () => sign('alice', { ...decision, reason: 'x' }), 'not for this decision'],
    ['in the git namespace', () => sign('alice', decision, 'git'), 'for namespace "git", not "runway-approval"'],
    ['not a signature', () => 'yes', 'the signature is not usable: not an armored SSH signature'],
  ])('a signature %s is refused with the reason', (_, signature, why) => {
    expect(() => checkSignedDecision(decision, signature(), approvers)).toThrow(why);
  });

  it('the refusal for another run names this run, gate and decision', () => {
    const other = sign('alice', { ...decision, runId: 'run-0' });
    expect(() => checkSignedDecision(decision, other, approvers)).toThrow(
      'alice\'s signature is not for this decision (approved "switch api to 1.4.2" in run run-1 of deploy:production:api)',
    );
  });
});

function armor(bytes: Uint8Array): string {
  return `-----BEGIN SSH SIGNATURE-----\n${toBase64(bytes)}\n-----END SSH SIGNATURE-----\n`;
}
