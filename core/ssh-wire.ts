/**
 * The SSH wire encoding (RFC 4251 §5) and base64, in pure TypeScript: public keys and SSHSIG signatures are read in
 * the workflow sandbox (an update validator cannot call an activity), where there is no Buffer.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Standard base64 (padding optional) to bytes; undefined for anything else. */
export function fromBase64(text: string): Uint8Array | undefined {
  const body = text.replace(/={1,2}$/, '');
  if (body.length % 4 === 1 || (text.length !== body.length && text.length % 4 !== 0)) return undefined;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const c of body) {
    const v = VALUE.get(c);
    if (v === undefined) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Bytes to standard base64, without padding when `pad` is false (as SSH fingerprints are written). */
export function toBase64(bytes: Uint8Array, pad = true): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += ALPHABET[(n >> (18 - 6 * k)) & 63];
  }
  return pad ? out.padEnd(Math.ceil(out.length / 4) * 4, '=') : out;
}

/** UTF-8 bytes of a text (what ssh-keygen signs when the text is piped to it), as this realm's Uint8Array. */
export function utf8(text: string): Uint8Array {
  // Copied: in the workflow sandbox TextEncoder is the host's, and its arrays fail `instanceof Uint8Array` here.
  return new Uint8Array(new TextEncoder().encode(text));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Reads SSH wire fields in order; any read past the end throws, so a truncated blob is an error, not garbage. */
export class WireReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at === this.bytes.length;
  }

  raw(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) throw new Error('truncated');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  uint32(): number {
    const b = this.raw(4);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }

  /** A `string` field: uint32 length, then that many bytes. */
  bytesField(): Uint8Array {
    return this.raw(this.uint32());
  }

  text(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytesField());
  }
}

/** Encodes `string` fields: each uint32 length, then the bytes. */
export function wireStrings(...fields: (Uint8Array | string)[]): Uint8Array {
  const parts = fields.map((f) => (typeof f === 'string' ? utf8(f) : f));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set([(p.length >>> 24) & 0xff, (p.length >>> 16) & 0xff, (p.length >>> 8) & 0xff, p.length & 0xff], at);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}
