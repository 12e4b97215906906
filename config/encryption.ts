import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TemporalConfig } from './schema';
import { describeRef, resolveSecret } from './secret';

/**
 * Payload encryption (`temporal.encryption`): every payload — inputs, results, output tails, memos, summaries, query
 * answers, heartbeat details, and with {@link ENCODED_FAILURES_PATH} failure messages — leaves this process as
 * AES-256-GCM ciphertext of the whole serialized payload, with the id of its key beside it in clear, so keys can rotate
 * and a retired key still opens what it sealed. Search attributes are not payloads of the codec: they stay clear text.
 */
export type EncryptionConfig = NonNullable<TemporalConfig['encryption']>;

/** The `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key naming the key a payload was encrypted with (the name Temporal's samples use). */
export const KEY_ID_METADATA = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Encryption cannot be set up as configured (a key, the token, the codec server): nothing was started. Exit 2. */
export class EncryptionError extends Error {
  override readonly name = 'EncryptionError';
}

/** A payload this process cannot decrypt: its key id is not among `temporal.encryption.keys`, or the key is wrong. */
export class UndecryptableError extends Error {
  override readonly name = 'UndecryptableError';
}

/** A key's text as 32 bytes: base64 (44 characters, as `openssl rand -base64 32` prints) or 64 hex digits. */
export function parseKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  return undefined;
}

/** Resolves every key reference; a bad one is an {@link EncryptionError} naming its id and reference, never its value. */
export function resolveKeys(encryption: EncryptionConfig): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const [id, ref] of Object.entries(encryption.keys)) {
    const where = `temporal.encryption.keys.${id}`;
    let text: string;
    try {
      text = resolveSecret(ref, where).reveal();
    } catch (err) {
      throw new EncryptionError((err as Error).message);
    }
    const key = parseKey(text);
    if (!key || key.length !== KEY_BYTES) {
      throw new EncryptionError(
        `${where}: ${describeRef(ref)} does not hold a 32-byte key: expected 44 characters of base64 or 64 hex ` +
          'digits (make one with `openssl rand -base64 32`)',
      );
    }
    keys.set(id, key);
  }
  return keys;
}

/**
 * The payload codec. `encode` seals each payload with the key `keyId` (without one it passes them through: a process
 * with no `temporal.encryption` still says clearly what it cannot open); `decode` opens encrypted payloads with the
 * key their metadata names and passes every other payload through (histories from before encryption was turned on).
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly keyId?: string,
  ) {
    if (keyId !== undefined && !keys.has(keyId))
      throw new EncryptionError(`temporal.encryption.keyId: no key ${keyId}`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { keyId } = this;
    if (keyId === undefined) return payloads;
    const key = this.keys.get(keyId)!;
    return payloads.map((payload) => (isEncrypted(payload) ? payload : seal(payload, keyId, key)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.open(payload) : payload));
  }

  private open(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (!key) {
      const why =
        keyId === undefined
          ? 'names no key id'
          : this.keys.size === 0
            ? `was encrypted with key "${keyId}", and temporal.encryption is not set here: configure it with that key`
            : `was encrypted with key "${keyId}", which temporal.encryption.keys does not have: put it back (a retired ` +
              'key stays in keys for as long as runs, schedules or histories hold payloads it encrypted)';
      throw new UndecryptableError(`a payload ${why}`);
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < NONCE_BYTES + TAG_BYTES)
      throw new UndecryptableError(`a payload under key "${keyId}" is cut short`);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new UndecryptableError(
        `a payload under key "${keyId}" does not decrypt with the configured key of that id: was the key changed?`,
      );
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

function seal(payload: Payload, keyId: string, key: Buffer): Payload {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, key, nonce);
  const plain = temporal.api.common.v1.Payload.encode(payload).finish();
  const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return {
    metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
    data: sealed,
  };
}

/** Whether a payload is one this codec sealed. */
export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

/**
 * The codec `temporal.encryption` asks for, its keys resolved now. Without encryption it is one with no keys: it passes
 * payloads through and says clearly that an encrypted one needs `temporal.encryption` here.
 */
export function codecOf(encryption: EncryptionConfig | undefined): EncryptionCodec {
  return encryption ? new EncryptionCodec(resolveKeys(encryption), encryption.keyId) : new EncryptionCodec(new Map());
}

/**
 * The failure converter module of encrypted runs: a failure's message and stack trace travel as an encoded payload
 * (so through the codec) instead of in clear — they carry command output tails such as "exit 1: <stderr>".
 */
export const ENCODED_FAILURES_PATH = join(__dirname, 'encoded-failures.ts');

/**
 * The data converter of every client and worker a `temporal` section makes: the codec, and with encryption on the
 * failure converter that encodes messages. Resolves the keys now, so a bad one stops the process before it connects.
 */
export function dataConverterOf(temporalConfig: TemporalConfig): DataConverter {
  const payloadCodecs = [codecOf(temporalConfig.encryption)];
  return temporalConfig.encryption ? { payloadCodecs, failureConverterPath: ENCODED_FAILURES_PATH } : { payloadCodecs };
}
