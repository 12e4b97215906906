import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { equalBytes, fromBase64, toBase64, utf8, WireReader, wireStrings } from './ssh-wire';

/**
 * OpenSSH public keys and `ssh-keygen -Y sign` signatures (PROTOCOL.sshsig), read and verified in pure TypeScript
 * with the audited @noble curves, so that a workflow's update validator can check them. Errors are `Error`s whose
 * message says what is wrong, for a config line or a refusal.
 */

/** The key types a signature can be checked for. */
export const SSH_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256'] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export interface SshPublicKey {
  type: SshKeyType;
  /** The key in the wire encoding, as in the base64 part of an `authorized_keys` line. */
  blob: Uint8Array;
  /** The raw public point: 32 bytes for ed25519, 65 (uncompressed) for nistp256. */
  point: Uint8Array;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/** A parsed SSHSIG: who signed (the key inside), for what namespace, and the signature itself. */
export interface SshSignature {
  publicKey: SshPublicKey;
  namespace: string;
  reserved: Uint8Array;
  hashAlgorithm: 'sha256' | 'sha512';
  signatureType: string;
  signature: Uint8Array;
}

const MAGIC = utf8('SSHSIG');
const ARMOR = /^-----BEGIN SSH SIGNATURE-----([A-Za-z0-9+/=\s]*)-----END SSH SIGNATURE-----$/;
const HASHES = { sha256, sha512 } as const;

/** Reads a public key line, `ssh-ed25519 AAAA… comment`; throws an Error saying what is wrong with it. */
export function parsePublicKey(line: string): SshPublicKey {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data) throw new Error('expected an OpenSSH public key line, e.g. "ssh-ed25519 AAAAC3… alice@laptop"');
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    throw new Error(`unsupported key type ${type} (supported: ${SSH_KEY_TYPES.join(', ')})`);
  }
  const blob = fromBase64(data);
  if (!blob) throw new Error(`the ${type} key is not base64`);
  const key = publicKeyFromBlob(blob);
  if (key.type !== type) throw new Error(`the key says ${type} but holds a ${key.type} key`);
  return key;
}

/** Reads a public key in the wire encoding; throws for a malformed or unsupported one. */
export function publicKeyFromBlob(blob: Uint8Array): SshPublicKey {
  try {
    const r = new WireReader(blob);
    const type = r.text();
    let point: Uint8Array;
    if (type === 'ssh-ed25519') {
      point = r.bytesField();
      ed25519.Point.fromBytes(point);
    } else if (type === 'ecdsa-sha2-nistp256') {
      if (r.text() !== 'nistp256') throw new Error('curve');
      point = r.bytesField();
      p256.Point.fromBytes(point);
    } else {
      throw new UnsupportedKey(`unsupported key type ${type} (supported: ${SSH_KEY_TYPES.join(', ')})`);
    }
    if (!r.done) throw new Error('trailing bytes');
    return { type, blob, point, fingerprint: fingerprint(blob) };
  } catch (err) {
    if (err instanceof UnsupportedKey) throw err;
    throw new Error('malformed public key: copy the whole line of its .pub file');
  }
}

class UnsupportedKey extends Error {}

/** `SHA256:` and the unpadded base64 of the key blob's SHA-256: the fingerprint ssh-keygen and ssh-add show. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${toBase64(sha256(blob), false)}`;
}

/** Reads an armored `-----BEGIN SSH SIGNATURE-----` block; throws an Error saying what is wrong with it. */
export function parseSignature(armored: string): SshSignature {
  const match = ARMOR.exec(armored.trim());
  const bytes = match && fromBase64(match[1].replace(/\s+/g, ''));
  if (!bytes) throw new Error('not an armored SSH signature (-----BEGIN SSH SIGNATURE----- … from ssh-keygen -Y sign)');
  const r = new WireReader(bytes);
  try {
    if (!equalBytes(r.raw(MAGIC.length), MAGIC)) throw new Error('not an SSHSIG signature');
    const version = r.uint32();
    if (version !== 1) throw new Error(`SSHSIG version ${version} is not supported`);
    const publicKey = publicKeyFromBlob(r.bytesField());
    const namespace = r.text();
    const reserved = r.bytesField();
    const hashAlgorithm = r.text();
    if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
      throw new Error(`hash algorithm ${hashAlgorithm} is not supported (sha256, sha512)`);
    }
    const inner = new WireReader(r.bytesField());
    const signatureType = inner.text();
    const signature = inner.bytesField();
    if (!inner.done || !r.done) throw new Error('trailing bytes after the signature');
    return { publicKey, namespace, reserved, hashAlgorithm, signatureType, signature };
  } catch (err) {
    throw new Error(err instanceof Error && err.message !== 'truncated' ? err.message : 'the signature is truncated');
  }
}

/**
 * Whether `sig` signs `message` with the key inside it. The namespace is not checked here: the caller compares
 * `sig.namespace` with the one it expects, to say so when it differs.
 */
export function verifySignature(sig: SshSignature, message: Uint8Array): boolean {
  const digest = HASHES[sig.hashAlgorithm](message);
  const tail = wireStrings(sig.namespace, sig.reserved, sig.hashAlgorithm, digest);
  const signed = new Uint8Array(MAGIC.length + tail.length);
  signed.set(MAGIC);
  signed.set(tail, MAGIC.length);
  const { type, point } = sig.publicKey;
  try {
    if (type === 'ssh-ed25519') {
      return (
        sig.signatureType === type &&
        sig.signature.length === 64 &&
        ed25519.verify(sig.signature, signed, point, { zip215: false })
      );
    }
    if (sig.signatureType !== type) return false;
    // The signature blob holds r and s as mpints; @noble takes them as 32 bytes each. OpenSSH does not make s low.
    const inner = new WireReader(sig.signature);
    const rs = [inner.bytesField(), inner.bytesField()].map(fixedWidth);
    if (!inner.done || rs.some((n) => !n)) return false;
    const compact = new Uint8Array(64);
    compact.set(rs[0]!, 0);
    compact.set(rs[1]!, 32);
    return p256.verify(compact, signed, point, { lowS: false });
  } catch {
    return false;
  }
}

/** An mpint as 32 big-endian bytes, or undefined when it does not fit (or is negative). */
function fixedWidth(mpint: Uint8Array): Uint8Array | undefined {
  if (mpint.length > 0 && mpint[0] & 0x80) return undefined;
  let start = 0;
  while (start < mpint.length && mpint[start] === 0) start++;
  const digits = mpint.subarray(start);
  if (digits.length > 32) return undefined;
  const out = new Uint8Array(32);
  out.set(digits, 32 - digits.length);
  return out;
}
