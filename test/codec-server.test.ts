import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { CodecAuth, SESSION_COOKIE } from '../client/codec-auth';
import { codecEndpoint, startCodecServer, type RunningCodecServer } from '../client/codec-server';
import { codecOf } from '../config/encryption';
import { accepts, freePort } from '../sandbox/process';
import { TEST_KEY_FILE, type JsonPayload } from './support/encryption';
import { runCli } from './support/harness';

const TOKEN = randomBytes(24).toString('hex');
const UI = 'http://localhost:8233';
const k1 = codecOf({ keyId: 'k1', keys: { k1: { file: TEST_KEY_FILE } } });
const asJson = (value: unknown): JsonPayload => {
  const p = defaultPayloadConverter.toPayload(value)!;
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  };
};
const valueOf = (p: JsonPayload) => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8'));

/** The codec protocol, the token, the browser session and CORS of `runway codec-server`, over real HTTP. */
describe('the codec server', () => {
  let server: RunningCodecServer;
  const refusals: string[] = [];
  beforeAll(async () => {
    server = await startCodecServer({
      codec: k1,
      token: TOKEN,
      listen: '127.0.0.1:0',
      origins: [`${UI}/`],
      log: (line) => refusals.push(line),
    });
  });
  afterAll(() => server?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.endpoint}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });
  const bearer = { Authorization: `Bearer ${TOKEN}` };
  const sealed = async (value: unknown) => {
    const res = await post('/encode', { payloads: [asJson(value)] }, bearer);
    return ((await res.json()) as { payloads: JsonPayload[] }).payloads;
  };

  it('encodes and decodes for a caller with the bearer token (the Temporal CLI), under any path prefix', async () => {
    const payloads = await sealed({ output: 'hello' });
    expect(Buffer.from(payloads[0].metadata!.encoding, 'base64').toString()).toBe('binary/encrypted');
    for (const path of ['/decode', '/default/decode']) {
      const res = await post(path, { payloads }, bearer);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { payloads: JsonPayload[] }).payloads.map(valueOf)).toEqual([{ output: 'hello' }]);
    }
  });

  it('refuses a caller without the token or with another one, and decodes nothing for it', async () => {
    const payloads = await sealed('private');
    const refused: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer nope' },
      { Authorization: TOKEN },
      { Cookie: 'x=1' },
    ];
    for (const headers of refused) {
      const res = await post('/decode', { payloads }, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).not.toMatch(/payloads|private/);
    }
    expect(refusals.at(-1)).toMatch(/^refused POST \/decode from 127\.0\.0\.1: present the codec server token/);
  });

  it('answers the CORS preflight of a configured Web UI origin, and not of another', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.endpoint}/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace',
        },
      });
    const ok = await preflight(UI);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Content-Type.*X-Namespace/);
    const other = await preflight('http://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a request from another origin even with the token; lets the configured one read its answers', async () => {
    const payloads = await sealed('x');
    const evil = await post('/decode', { payloads }, { ...bearer, Origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(await evil.text()).not.toContain('payloads');
    const ui = await post('/decode', { payloads }, { ...bearer, Origin: UI });
    expect(ui.status).toBe(200);
    expect(ui.headers.get('access-control-allow-origin')).toBe(UI);
    // Refusals carry the CORS headers too, so the Web UI can tell "log in" from "unreachable".
    const anonymous = await post('/decode', { payloads }, { Origin: UI });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(UI);
  });

  it('a request that is not JSON never reaches the codec (no CORS-simple cross-site POST)', async () => {
    const res = await fetch(`${server.endpoint}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', ...bearer },
      body: JSON.stringify({ payloads: await sealed('x') }),
    });
    expect(res.status).toBe(415);
    expect((await fetch(`${server.endpoint}/decode`, { headers: bearer })).status).toBe(405);
    expect((await fetch(`${server.endpoint}/elsewhere`)).status).toBe(404);
    expect((await post('/decode', { nope: 1 }, bearer)).status).toBe(400);
  });

  it('a payload under a key it does not have is refused with that key id', async () => {
    const other = codecOf({ keyId: 'k7', keys: { k7: { file: TEST_KEY_FILE } } });
    const [p] = await other.encode([defaultPayloadConverter.toPayload('x')!]);
    const json = {
      metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data!).toString('base64'),
    };
    const res = await post('/decode', { payloads: [json] }, bearer);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('key \\"k7\\", which temporal.encryption.keys does not have');
  });

  describe('a browser session for the Web UI', () => {
    const login = (token: string) =>
      fetch(`${server.endpoint}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
        redirect: 'manual',
      });

    it('the login page takes the token and sets an HttpOnly, same-site cookie that is not the token', async () => {
      const page = await fetch(`${server.endpoint}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<input type="password" name="token"');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const wrong = await login('not-the-token');
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      const ok = await login(TOKEN);
      expect(ok.status).toBe(200);
      const cookie = ok.headers.get('set-cookie')!;
      expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/`));
      expect(cookie).not.toContain(TOKEN);
      expect(await ok.text()).toContain('Include cross-origin credentials');
    });

    it("the Web UI's credentialed requests decode with the session; a forged or expired one does not", async () => {
      const session = (await login(TOKEN)).headers.get('set-cookie')!.split(';')[0];
      const payloads = await sealed({ shown: 'in clear' });
      const ui = await post('/decode', { payloads }, { Cookie: session, Origin: UI });
      expect(ui.status).toBe(200);
      expect(ui.headers.get('access-control-allow-credentials')).toBe('true');
      expect(((await ui.json()) as { payloads: JsonPayload[] }).payloads.map(valueOf)).toEqual([{ shown: 'in clear' }]);
      const [expires, mac] = session.split('=')[1].split('.');
      const forged = `${SESSION_COOKIE}=${Number(expires) + 3600}.${mac}`;
      expect((await post('/decode', { payloads }, { Cookie: forged, Origin: UI })).status).toBe(401);
      const auth = new CodecAuth(TOKEN);
      expect(auth.sessionExpiry(session.split('=')[1], Date.now() + 13 * 3600_000)).toBeUndefined();
      expect(new CodecAuth('another-token-entirely').sessionExpiry(session.split('=')[1])).toBeUndefined();
      const page = await fetch(`${server.endpoint}/`, { headers: { Cookie: session } });
      expect(await page.text()).toContain('Logged in until');
      const out = await fetch(`${server.endpoint}/logout`, { method: 'POST', headers: { Cookie: session } });
      expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    });
  });

  it.each([
    ['127.0.0.1:8888', 'http://localhost:8888'],
    ['[::1]:8888', 'http://localhost:8888'],
    ['10.1.2.3:8888', 'http://10.1.2.3:8888'],
  ])('listening on %s, the endpoint to give the Web UI is %s (same site as a localhost UI)', (listen, endpoint) => {
    expect(codecEndpoint(listen)).toBe(endpoint);
  });
});

/** What `runway codec-server` (and the worker, the client, `runway dev`) say about a bad setup: one line, exit 2. */
describe('bad encryption setups stop before anything starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runway-codec-cli-'));
  const shortKey = join(dir, 'short.key');
  writeFileSync(shortKey, 'dG9vLXNob3J0');
  /** The rest of a valid runway.yml (the worker and `runway dev` read all of it). */
  const REST = `ssh: { user: nobody, knownHosts: ${join(dir, 'known_hosts')}, agent: true }\nenvironments: {}\n`;
  const configFile = (name: string, encryption: string) => {
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, `temporal:\n  address: 127.0.0.1:1\n${encryption}${REST}`);
    return file;
  };
  const encryption = (o: { key?: string; codecServer?: string } = {}) =>
    [
      '  encryption:',
      '    keyId: k1',
      `    keys: { k1: ${o.key ?? `{ file: ${TEST_KEY_FILE} }`} }`,
      ...(o.codecServer === undefined ? [] : [`    codecServer: ${o.codecServer}`]),
      '',
    ].join('\n');
  const env = { RUNWAY_TEST_TOKEN: TOKEN, RUNWAY_TEST_SHORT: 'short' };
  const oneLine = async (args: string[], file: string, expected: string | RegExp) => {
    const result = await runCli([...args, '--config', file], env);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(expected)]);
    expect(result.code).toBe(2);
    return result;
  };

  it.each([
    [
      'a key of the wrong length',
      encryption({ key: `{ file: ${shortKey} }`, codecServer: '{ token: { env: RUNWAY_TEST_TOKEN } }' }),
      `runway: temporal.encryption.keys.k1: file ${shortKey} does not hold a 32-byte key: expected 44 characters`,
    ],
    [
      'an unset key variable',
      encryption({ key: '{ env: RUNWAY_TEST_NO_SUCH_KEY }', codecServer: '{ token: { env: RUNWAY_TEST_TOKEN } }' }),
      'runway: temporal.encryption.keys.k1: environment variable RUNWAY_TEST_NO_SUCH_KEY is not set',
    ],
    [
      'no codecServer section',
      encryption(),
      /^runway: .*codec-no-server\.yml: temporal\.encryption\.codecServer is not set: add \{ token: \{ env: NAME \} \}/,
    ],
    [
      'a codecServer without its token',
      encryption({ codecServer: '{ origins: [http://localhost:8233] }' }),
      /^runway: .*:\d+:\d+ temporal\.encryption\.codecServer\.token: /,
    ],
    [
      'an unset token variable',
      encryption({ codecServer: '{ token: { env: RUNWAY_TEST_NO_SUCH_TOKEN } }' }),
      'runway: temporal.encryption.codecServer.token: environment variable RUNWAY_TEST_NO_SUCH_TOKEN is not set',
    ],
    [
      'a token too short to be one',
      encryption({ codecServer: '{ token: { env: RUNWAY_TEST_SHORT } }' }),
      'runway: temporal.encryption.codecServer.token: the token is shorter than 16 characters',
    ],
    ['no encryption at all', '', /^runway: .*: temporal\.encryption is not set: payloads are not encrypted$/],
  ])('runway codec-server with %s: one line, exit 2', async (name, yaml, expected) => {
    const file = configFile(name === 'no codecServer section' ? 'codec-no-server' : name.replace(/\W+/g, '-'), yaml);
    const result = await oneLine(['codec-server'], file, expected);
    expect(result.stdout).not.toContain('codec server on');
  });

  it('runway codec-server on a port in use: one line naming it, exit 2, nothing listening of ours', async () => {
    const port = await freePort();
    const taken: Server = createServer().listen(port, '127.0.0.1');
    try {
      const file = configFile(
        'taken',
        encryption({ codecServer: `{ listen: 127.0.0.1:${port}, token: { env: RUNWAY_TEST_TOKEN } }` }),
      );
      await oneLine(
        ['codec-server'],
        file,
        `runway: temporal.encryption.codecServer.listen: 127.0.0.1:${port} is already in use`,
      );
    } finally {
      taken.close();
    }
  });

  it('runway dev with the codec port in use starts neither the dev server nor a worker', async () => {
    const [port, uiPort, codecPort] = [await freePort(), await freePort(), await freePort()];
    const taken: Server = createServer().listen(codecPort, '127.0.0.1');
    try {
      const file = join(dir, 'dev.yml');
      writeFileSync(
        file,
        [
          'temporal:',
          `  devServer: { port: ${port}, uiPort: ${uiPort}, dbFile: ${join(dir, 'dev.db')} }`,
          encryption({ codecServer: `{ listen: 127.0.0.1:${codecPort}, token: { env: RUNWAY_TEST_TOKEN } }` }),
        ].join('\n') + REST,
      );
      const result = await runCli(['dev', '--config', file], { ...env, TEMPORAL_ADDRESS: undefined });
      expect(result.stderr).toContain(
        `temporal.encryption.codecServer.listen: 127.0.0.1:${codecPort} is already in use`,
      );
      expect(result.code).toBe(2);
      expect(result.stdout).not.toMatch(/dev server on|worker polling/);
      expect(await accepts('127.0.0.1', port)).toBe(false);
    } finally {
      taken.close();
    }
  });

  it.each([
    ['runway worker', ['worker']],
    ['runway status (the client)', ['status', 'some-run']],
  ])('%s with a key of the wrong length: one line, exit 2, nothing started', async (_what, args) => {
    const file = configFile('worker-short', encryption({ key: `{ file: ${shortKey} }` }));
    const result = await oneLine(args, file, `runway: temporal.encryption.keys.k1: file ${shortKey} does not hold`);
    expect(result.stdout).not.toContain('worker polling');
  });
});
