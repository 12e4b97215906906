import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import {
  codecOf,
  dataConverterOf,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  EncryptionError,
  KEY_ID_METADATA,
  resolveKeys,
  UndecryptableError,
  type EncryptionConfig,
} from '../config/encryption';
import type { SecretRef } from '../config';
import { TEST_KEY_FILE } from './support/encryption';

const dir = mkdtempSync(join(tmpdir(), 'runway-keys-'));
const keyFile = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const K2 = keyFile('k2', 'a'.repeat(64) + '\n');

const config = (keyId: string, keys: Record<string, SecretRef>): EncryptionConfig => ({ keyId, keys });
const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value)!;
const text = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('utf8');

describe('keys from secret references', () => {
  it.each([
    ['base64 (44 characters)', 'v9a12MrbYMz6GWlMX9LXJTZKRYC6H7NnuXfXPpzvOT0=\n'],
    ['64 hex digits', '0123456789abcdef'.repeat(4)],
  ])('a key given as %s is 32 bytes', (_what, value) => {
    const keys = resolveKeys(config('k1', { k1: { file: keyFile('ok', value) } }));
    expect(keys.get('k1')?.length).toBe(32);
  });

  const short = keyFile('short', 'c2hvcnQta2V5LXZhbHVl');
  it.each([
    [
      'a key of the wrong length',
      { file: short },
      `temporal.encryption.keys.k1: file ${short} does not hold a 32-byte key: expected 44 characters of base64 or ` +
        '64 hex digits (make one with `openssl rand -base64 32`)',
    ],
    [
      '63 hex digits',
      { file: keyFile('hex63', 'a'.repeat(63)) },
      /^temporal\.encryption\.keys\.k1: file .*hex63 does not hold a 32-byte key/,
    ],
    [
      'an unset environment variable',
      { env: 'RUNWAY_TEST_UNSET_KEY' },
      'temporal.encryption.keys.k1: environment variable RUNWAY_TEST_UNSET_KEY is not set',
    ],
    [
      'a missing file',
      { file: join(dir, 'nope') },
      `temporal.encryption.keys.k1: cannot read ${join(dir, 'nope')}: ENOENT`,
    ],
  ])('%s is one line naming the key id and the reference, never the value', (_what, ref, message) => {
    let error: unknown;
    try {
      resolveKeys(config('k1', { k1: ref as SecretRef }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('c2hvcnQta2V5LXZhbHVl');
    expect((error as Error).message.split('\n')).toHaveLength(1);
  });
});

describe('the payload codec', () => {
  const k1 = codecOf(config('k1', { k1: { file: TEST_KEY_FILE } }));

  it('seals the whole payload, metadata included, naming only its key id', async () => {
    const [sealed] = await k1.encode([json({ command: 'echo very-private-marker' })]);
    expect(text(sealed.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(sealed.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(text(sealed.data)).not.toContain('very-private-marker');
    expect(text(sealed.data)).not.toContain('json/plain');
    const [opened] = await k1.decode([sealed]);
    expect(defaultPayloadConverter.fromPayload(opened)).toEqual({ command: 'echo very-private-marker' });
    expect(text(opened.metadata?.encoding)).toBe('json/plain');
  });

  it('a fresh nonce each time: the same value never seals to the same bytes', async () => {
    const [a, b] = await k1.encode([json('same'), json('same')]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('passes through payloads that are not encrypted (histories from before, search attributes)', async () => {
    const plain = json({ status: 'succeeded' });
    expect(await k1.decode([plain])).toEqual([plain]);
  });

  it('a process without encryption leaves payloads clear and says what it needs to open an encrypted one', async () => {
    const none = codecOf(undefined);
    const plain = json('x');
    expect(await none.encode([plain])).toEqual([plain]);
    const [sealed] = await k1.encode([json('x')]);
    await expect(none.decode([sealed])).rejects.toThrow(
      'a payload was encrypted with key "k1", and temporal.encryption is not set here: configure it with that key',
    );
  });

  it('a tampered payload is refused, not decoded into something else', async () => {
    const [sealed] = await k1.encode([json('x')]);
    const data = Buffer.from(sealed.data!);
    data[20] ^= 1;
    await expect(k1.decode([{ ...sealed, data }])).rejects.toThrow(UndecryptableError);
  });

  it('another key under the same id is refused with its id', async () => {
    const [sealed] = await k1.encode([json('x')]);
    const other = codecOf(config('k1', { k1: { file: K2 } }));
    await expect(other.decode([sealed])).rejects.toThrow(
      'a payload under key "k1" does not decrypt with the configured key of that id: was the key changed?',
    );
  });
});

describe('key rotation', () => {
  const k1 = codecOf(config('k1', { k1: { file: TEST_KEY_FILE } }));
  const rotated = codecOf(config('k2', { k1: { file: TEST_KEY_FILE }, k2: { file: K2 } }));
  const retired = codecOf(config('k2', { k2: { file: K2 } }));

  it('after keyId moves to k2, payloads sealed with k1 still decode and new ones are sealed with k2', async () => {
    const [old] = await k1.encode([json({ output: 'from before the rotation' })]);
    const [opened] = await rotated.decode([old]);
    expect(defaultPayloadConverter.fromPayload(opened)).toEqual({ output: 'from before the rotation' });
    const [fresh] = await rotated.encode([json('after')]);
    expect(text(fresh.metadata?.[KEY_ID_METADATA])).toBe('k2');
    await expect(k1.decode([fresh])).rejects.toThrow('"k2", which temporal.encryption.keys does not have');
  });

  it('with k1 removed, decoding says which key id is missing', async () => {
    const [old] = await k1.encode([json('x')]);
    await expect(retired.decode([old])).rejects.toThrow(
      'a payload was encrypted with key "k1", which temporal.encryption.keys does not have: put it back',
    );
  });

  it('a keyId that is not among keys is refused when the codec is made', () => {
    expect(() => new EncryptionCodec(new Map(), 'k9')).toThrow('temporal.encryption.keyId: no key k9');
  });
});

describe('failure messages', () => {
  it('with encryption on, a failure carries "Encoded failure" and its message only inside an encrypted payload', async () => {
    const converter = loadDataConverter(
      dataConverterOf({ encryption: config('k1', { k1: { file: TEST_KEY_FILE } }) } as never),
    );
    const failure = converter.failureConverter.errorToFailure(
      ApplicationFailure.nonRetryable('exit 1: secret-stderr-marker', 'CommandFailed'),
      converter.payloadConverter,
    );
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    const [sealed] = await converter.payloadCodecs[0].encode([failure.encodedAttributes!]);
    expect(JSON.stringify({ ...failure, encodedAttributes: sealed })).not.toContain('secret-stderr-marker');
    const [opened] = await converter.payloadCodecs[0].decode([sealed]);
    const error = converter.failureConverter.failureToError(
      { ...failure, encodedAttributes: opened },
      converter.payloadConverter,
    );
    expect(error.message).toBe('exit 1: secret-stderr-marker');
  });

  it('without encryption, failures keep their messages in clear (nothing changes for those who did not ask)', () => {
    const converter = loadDataConverter(dataConverterOf({} as never));
    const failure = converter.failureConverter.errorToFailure(new Error('plain'), converter.payloadConverter);
    expect(failure.message).toBe('plain');
  });
});
