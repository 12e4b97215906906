import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One usable line of a known_hosts file. */
interface Entry {
  line: number;
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  type: string;
  key: Buffer;
  revoked: boolean;
}

/** Why a host's key was refused, in words an operator can act on. */
export class HostKeyError extends Error {
  override readonly name = 'HostKeyError';
}

/** The host is not in known_hosts at all (as opposed to a changed or revoked key). */
export class UnknownHostError extends HostKeyError {
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(message);
  }
}

/** SHA256 fingerprint of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The name OpenSSH looks a host up by: `address`, or `[address]:port` off port 22. */
export function hostToken(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** The key type stored in a public key blob (its first length-prefixed string). */
export function keyType(key: Buffer): string {
  return key.length >= 4 ? key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1') : '';
}

/**
 * A known_hosts file: plain and hashed (`|1|salt|hash`) host patterns, wildcards, negations and `@revoked`.
 * `@cert-authority` lines are ignored (host certificates are not supported).
 */
export class KnownHosts {
  private constructor(
    readonly file: string,
    private readonly entries: Entry[],
  ) {}

  /** Reads the file; a missing file is an empty one (every host is then unknown). */
  static load(file: string): KnownHosts {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new KnownHosts(file, parse(text));
  }

  /** Key types known for this host, to offer only those algorithms (as OpenSSH does). */
  typesFor(address: string, port: number): string[] {
    return [
      ...new Set(
        this.matching(hostToken(address, port))
          .filter((e) => !e.revoked)
          .map((e) => e.type),
      ),
    ];
  }

  /** Accepts the host's key or throws a {@link HostKeyError} naming the host and the fingerprint. */
  verify(hostName: string, address: string, port: number, key: Buffer): void {
    const token = hostToken(address, port);
    const where = `${hostName} (${address}:${port})`;
    const offered = `${keyType(key)} ${fingerprint(key)}`;
    const revoked = this.entries.find((e) => e.revoked && e.key.equals(key));
    if (revoked) throw new HostKeyError(`host key of ${where} is REVOKED (${this.file}:${revoked.line}): ${offered}`);
    const candidates = this.matching(token).filter((e) => !e.revoked);
    if (candidates.some((e) => e.key.equals(key))) return;
    const sameType = candidates.find((e) => e.type === keyType(key));
    if (sameType) {
      throw new HostKeyError(
        `HOST KEY CHANGED for ${where}: ${this.file}:${sameType.line} has ${fingerprint(sameType.key)}, ` +
          `the host offered ${offered}. Refusing to connect; if the change is expected, replace that line.`,
      );
    }
    throw new UnknownHostError(
      `host ${where} is not in ${this.file}: it offered ${offered}. ` +
        `Check that fingerprint out of band, then add it: ssh-keyscan -p ${port} ${address} >> ${this.file}`,
      `${token} ${keyType(key)} ${key.toString('base64')}`,
    );
  }

  private matching(token: string): Entry[] {
    return this.entries.filter((e) => (e.hashed ? hashedMatch(e.hashed, token) : patternsMatch(e.patterns, token)));
  }
}

function parse(text: string): Entry[] {
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, index) => {
    const words = raw.trim().split(/\s+/);
    if (words[0] === '' || words[0].startsWith('#')) return;
    const marker = words[0].startsWith('@') ? words.shift() : undefined;
    if (marker === '@cert-authority' || words.length < 3) return;
    const [hosts, type, base64] = words;
    const entry: Entry = {
      line: index + 1,
      patterns: [],
      type,
      key: Buffer.from(base64, 'base64'),
      revoked: marker === '@revoked',
    };
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) return; // malformed: skipped, as OpenSSH does, so one bad line cannot hide the rest
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hosts.split(',');
    }
    entries.push(entry);
  });
  return entries;
}

/** ssh lowercases host names before hashing them (`ssh-keygen -H` too), so the lookup must as well. */
function hashedMatch({ salt, hash }: { salt: Buffer; hash: Buffer }, token: string): boolean {
  return createHmac('sha1', salt).update(token.toLowerCase()).digest().equals(hash);
}

function patternsMatch(patterns: string[], token: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!glob(negated ? pattern.slice(1) : pattern).test(token)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}
