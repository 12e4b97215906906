import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint, hostToken, HostKeyError, KnownHosts } from '../activities/ssh/known-hosts';

/** A real key pair made by ssh-keygen: its known_hosts text (`type base64`), blob and `ssh-keygen -lf` fingerprint. */
interface TestKey {
  type: string;
  text: string;
  blob: Buffer;
  fingerprint: string;
}

let dir: string;
let files = 0;
const keys = {} as Record<'ed' | 'ed2' | 'rsa', TestKey>;

function keygen(name: string, type: 'ed25519' | 'rsa'): TestKey {
  const file = join(dir, name);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-C',
    name,
    '-f',
    file,
  ]);
  const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  const printed = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)[1];
  return { type: keyType, text: `${keyType} ${base64}`, blob: Buffer.from(base64, 'base64'), fingerprint: printed };
}

/** Writes a known_hosts file of these lines (exactly as given) and loads it. */
function knownHosts(...lines: string[]): KnownHosts {
  const file = join(dir, `known_hosts.${files++}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return KnownHosts.load(file);
}

/** The HostKeyError `fn` throws (fails the test if it throws nothing or something else). */
function refusal(fn: () => void): HostKeyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HostKeyError);
    return err as HostKeyError;
  }
  throw new Error('expected a HostKeyError, nothing was thrown');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runway-known-hosts-'));
  keys.ed = keygen('ed', 'ed25519');
  keys.ed2 = keygen('ed2', 'ed25519');
  keys.rsa = keygen('rsa', 'rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprint and hostToken', () => {
  it.each(['ed', 'ed2', 'rsa'] as const)('fingerprint(%s key) is what ssh-keygen -lf prints', (name) => {
    expect(fingerprint(keys[name].blob)).toBe(keys[name].fingerprint);
    expect(keys[name].fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it.each([
    ['10.0.0.1', 22, '10.0.0.1'],
    ['10.0.0.1', 2222, '[10.0.0.1]:2222'],
    ['db.example.com', 22, 'db.example.com'],
    ['db.example.com', 2022, '[db.example.com]:2022'],
  ])('hostToken(%s, %i) is %s', (address, port, token) => {
    expect(hostToken(address, port)).toBe(token);
  });
});

describe('KnownHosts.verify: which lines match a host', () => {
  it('accepts a plain entry with the same key, for ed25519 and rsa', () => {
    const kh = knownHosts(`10.0.0.5 ${keys.ed.text}`, `10.0.0.6 ${keys.rsa.text}`);
    expect(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).not.toThrow();
    expect(() => kh.verify('web-2', '10.0.0.6', 22, keys.rsa.blob)).not.toThrow();
  });

  it.each([
    // [pattern on the line, address, port, matches]
    ['10.0.0.5', '10.0.0.5', 22, true],
    ['10.0.0.5', '10.0.0.5', 2222, false],
    ['[10.0.0.5]:2222', '10.0.0.5', 2222, true],
    ['[10.0.0.5]:2222', '10.0.0.5', 22, false],
    ['[10.0.0.5]:2222', '10.0.0.5', 2223, false],
    // OpenSSH looks port 22 up bare, so a bracketed :22 line never matches.
    ['[10.0.0.5]:22', '10.0.0.5', 22, false],
    ['10.0.0.5', '10.0.0.50', 22, false],
    ['web.example.com,10.0.0.5', '10.0.0.5', 22, true],
    ['web.example.com,10.0.0.5', 'web.example.com', 22, true],
    ['web.example.com,10.0.0.5', '10.0.0.6', 22, false],
    ['WEB.example.com', 'web.EXAMPLE.com', 22, true],
  ])('a line for %s %s %s:%i', (pattern, address, port, matches) => {
    const kh = knownHosts(`${pattern} ${keys.ed.text}`);
    const verify = () => kh.verify('h', address, port, keys.ed.blob);
    if (matches) expect(verify).not.toThrow();
    else expect(refusal(verify).message).toMatch(/is not in/);
  });

  it.each([
    // [patterns, address, port, matches]
    ['10.0.0.*', '10.0.0.5', 22, true],
    ['10.0.0.*', '10.0.1.5', 22, false],
    ['10.0.0.?', '10.0.0.5', 22, true],
    ['10.0.0.?', '10.0.0.15', 22, false],
    ['*.example.com', 'web-1.example.com', 22, true],
    ['*.example.com', 'example.com', 22, false],
    ['web-?.example.com', 'web-7.example.com', 22, true],
    ['[10.0.0.*]:2222', '10.0.0.9', 2222, true],
    ['[10.0.0.*]:2222', '10.0.0.9', 22, false],
    ['*', 'anything.example', 22, true],
    ['10.0.0.*,!10.0.0.9', '10.0.0.5', 22, true],
    ['10.0.0.*,!10.0.0.9', '10.0.0.9', 22, false],
    // A negation wins wherever it stands on the line.
    ['!10.0.0.9,10.0.0.*', '10.0.0.9', 22, false],
    ['*.example.com,!db-*.example.com', 'db-1.example.com', 22, false],
    ['*.example.com,!db-*.example.com', 'web-1.example.com', 22, true],
    // A negation alone matches nothing.
    ['!10.0.0.9', '10.0.0.5', 22, false],
    // Dots are literal, not regex wildcards.
    ['10.0.0.5', '10x0x0x5', 22, false],
  ])('wildcards and negation: %s vs %s:%i', (patterns, address, port, matches) => {
    const kh = knownHosts(`${patterns} ${keys.ed.text}`);
    const verify = () => kh.verify('h', address, port, keys.ed.blob);
    if (matches) expect(verify).not.toThrow();
    else expect(refusal(verify).message).toMatch(/is not in/);
  });

  it('matches entries hashed by the real ssh-keygen -H, and no other host', () => {
    const file = join(dir, 'known_hosts.hashed');
    writeFileSync(
      file,
      `10.0.0.5 ${keys.ed.text}\n[10.0.0.6]:2222 ${keys.rsa.text}\nweb-1.example.com ${keys.ed2.text}\n`,
    );
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/10\.0\.0\.|example/);
    expect(text.trim().split('\n')).toHaveLength(3);
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-/);

    const kh = KnownHosts.load(file);
    expect(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).not.toThrow();
    expect(() => kh.verify('web-2', '10.0.0.6', 2222, keys.rsa.blob)).not.toThrow();
    expect(() => kh.verify('web-3', 'web-1.example.com', 22, keys.ed2.blob)).not.toThrow();
    expect(kh.typesFor('10.0.0.6', 2222)).toEqual(['ssh-rsa']);
    // Same key, other host / other port: not known.
    expect(refusal(() => kh.verify('other', '10.0.0.7', 22, keys.ed.blob)).message).toMatch(/is not in/);
    expect(refusal(() => kh.verify('other', '10.0.0.5', 2222, keys.ed.blob)).message).toMatch(/is not in/);
    expect(refusal(() => kh.verify('other', '10.0.0.6', 22, keys.rsa.blob)).message).toMatch(/is not in/);
    // A hashed line with another key for the host is a changed key, naming that line.
    expect(refusal(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed2.blob)).message).toContain(
      `HOST KEY CHANGED for web-1 (10.0.0.5:22): ${file}:1 has ${keys.ed.fingerprint}`,
    );
  });

  it('matches a hashed entry case-insensitively, as the same line unhashed does (ssh lowercases host names)', () => {
    const file = join(dir, 'known_hosts.hashed-case');
    writeFileSync(file, `web-1.example.com ${keys.ed.text}\n`);
    expect(() => KnownHosts.load(file).verify('web-1', 'Web-1.Example.COM', 22, keys.ed.blob)).not.toThrow();
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(() => KnownHosts.load(file).verify('web-1', 'Web-1.Example.COM', 22, keys.ed.blob)).not.toThrow();
  });

  it('treats a missing file as empty: every host is unknown', () => {
    const kh = KnownHosts.load(join(dir, 'does-not-exist'));
    expect(kh.typesFor('10.0.0.5', 22)).toEqual([]);
    expect(refusal(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).message).toMatch(/web-1 .* is not in/);
  });

  it('ignores comments, blank and whitespace-only lines, CRLF endings and trailing key comments', () => {
    const kh = knownHosts(
      '# Runway test hosts',
      '',
      '   ',
      '\t# an indented comment 10.0.0.5 ' + keys.ed2.text,
      `10.0.0.5 ${keys.ed.text} web-1 host key\r`,
      `  10.0.0.6\t${keys.rsa.text}  `,
    );
    expect(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).not.toThrow();
    expect(() => kh.verify('web-2', '10.0.0.6', 22, keys.rsa.blob)).not.toThrow();
    expect(kh.typesFor('10.0.0.5', 22)).toEqual(['ssh-ed25519']);
    // Line numbers count every physical line, so the file:line in a message is the one to edit.
    expect(refusal(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed2.blob)).message).toContain(`${kh.file}:5 has`);
  });

  it.each([
    ['a hashed host without its hash', '|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ= ssh-ed25519 AAAA'],
    ['an empty hashed host', '|1| ssh-ed25519 AAAA'],
    ['a line without a key', '10.0.0.5 ssh-ed25519'],
    ['a marker alone', '@revoked'],
  ])('skips a malformed line (%s) as OpenSSH does, and still reads the rest', (_name, bad) => {
    const kh = knownHosts(bad, `10.0.0.5 ${keys.ed.text}`);
    expect(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).not.toThrow();
    expect(kh.typesFor('10.0.0.5', 22)).toEqual(['ssh-ed25519']);
  });

  it('ignores @cert-authority lines (host certificates are not supported)', () => {
    const kh = knownHosts(`@cert-authority 10.0.0.5 ${keys.ed.text}`, `@cert-authority *.example.com ${keys.rsa.text}`);
    expect(kh.typesFor('10.0.0.5', 22)).toEqual([]);
    expect(refusal(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).message).toMatch(/is not in/);
  });
});

describe('KnownHosts.verify: refusals say what happened and what to do', () => {
  it('refuses a changed key, naming the host, the known_hosts line and both fingerprints', () => {
    const kh = knownHosts('# fleet', `10.0.0.9 ${keys.rsa.text}`, `[10.0.0.5]:2222 ${keys.ed.text}`);
    const { message } = refusal(() => kh.verify('web-1', '10.0.0.5', 2222, keys.ed2.blob));
    expect(message).toContain('HOST KEY CHANGED for web-1 (10.0.0.5:2222)');
    expect(message).toContain(`${kh.file}:3 has ${keys.ed.fingerprint}`);
    expect(message).toContain(`the host offered ssh-ed25519 ${keys.ed2.fingerprint}`);
    expect(message).toMatch(/Refusing to connect/);
  });

  it('refuses a changed rsa key too', () => {
    const other = keygen(`rsa-other-${files}`, 'rsa');
    const kh = knownHosts(`10.0.0.6 ${keys.rsa.text}`);
    const { message } = refusal(() => kh.verify('db-1', '10.0.0.6', 22, other.blob));
    expect(message).toContain(`HOST KEY CHANGED for db-1 (10.0.0.6:22): ${kh.file}:1 has ${keys.rsa.fingerprint}`);
    expect(message).toContain(`ssh-rsa ${other.fingerprint}`);
  });

  it('refuses an unknown host with the fingerprint ssh-keygen -lf prints and the ssh-keyscan command', () => {
    const kh = knownHosts(`10.0.0.5 ${keys.ed.text}`);
    const { message } = refusal(() => kh.verify('web-3', '10.0.0.7', 2222, keys.ed2.blob));
    expect(message).toContain(`host web-3 (10.0.0.7:2222) is not in ${kh.file}`);
    expect(message).toContain(`ssh-ed25519 ${keys.ed2.fingerprint}`);
    expect(message).toContain(`ssh-keyscan -p 2222 10.0.0.7 >> ${kh.file}`);
    expect(message).not.toMatch(/CHANGED/);
  });

  it('calls a host with keys of another type only "not in" known_hosts, with the offered type', () => {
    const kh = knownHosts(`10.0.0.5 ${keys.rsa.text}`);
    const { message } = refusal(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob));
    expect(message).toContain(`is not in ${kh.file}: it offered ssh-ed25519 ${keys.ed.fingerprint}`);
  });

  it.each([
    ['a plain line', (k: TestKey) => [`@revoked 10.0.0.5 ${k.text}`, `10.0.0.5 ${k.text}`], 1],
    [
      'a wildcard line, even after an accepting line',
      (k: TestKey) => [`10.0.0.5 ${k.text}`, `@revoked * ${k.text}`],
      2,
    ],
  ])('refuses a key revoked by %s', (_name, lines, line) => {
    const kh = knownHosts(...lines(keys.ed));
    const { message } = refusal(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob));
    expect(message).toContain(`host key of web-1 (10.0.0.5:22) is REVOKED (${kh.file}:${line})`);
    expect(message).toContain(keys.ed.fingerprint);
  });

  it('refuses a revoked key on a hashed line (hashed by ssh-keygen -H, which leaves marker lines alone)', () => {
    const file = join(dir, 'known_hosts.revoked-hashed');
    writeFileSync(file, `10.0.0.5 ${keys.ed.text}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8').trim();
    expect(hashed).toMatch(/^\|1\|/);
    writeFileSync(file, `@revoked ${hashed}\n10.0.0.5 ${keys.ed.text}\n`);
    const { message } = refusal(() => KnownHosts.load(file).verify('web-1', '10.0.0.5', 22, keys.ed.blob));
    expect(message).toContain(`is REVOKED (${file}:1)`);
  });

  it('still accepts the host key that was not revoked', () => {
    const kh = knownHosts(`@revoked 10.0.0.5 ${keys.ed2.text}`, `10.0.0.5 ${keys.ed.text}`);
    expect(() => kh.verify('web-1', '10.0.0.5', 22, keys.ed.blob)).not.toThrow();
  });
});

describe('KnownHosts.typesFor', () => {
  it.each([
    // [address, port, expected types]
    ['10.0.0.5', 22, ['ssh-ed25519', 'ssh-rsa']],
    ['10.0.0.5', 2222, ['ssh-rsa']],
    ['10.0.0.6', 22, ['ssh-ed25519']],
    ['10.0.0.7', 22, []],
  ] as const)('%s:%i → %j', (address, port, types) => {
    const kh = knownHosts(
      `10.0.0.5 ${keys.ed.text}`,
      `10.0.0.5,!10.0.0.6 ${keys.rsa.text}`,
      `10.0.0.5 ${keys.ed2.text}`,
      `[10.0.0.5]:2222 ${keys.rsa.text}`,
      `10.0.0.6 ${keys.ed.text}`,
      `@revoked 10.0.0.6 ${keys.rsa.text}`,
      `@cert-authority 10.0.0.7 ${keys.ed.text}`,
    );
    expect([...kh.typesFor(address, port)].sort()).toEqual([...types]);
  });
});
