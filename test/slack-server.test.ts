import {
  ErrorCode,
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type WebClientOptions,
} from '@slack/web-api';
import { startSlackServer, type SlackMode, type SlackServer } from './support/slack-server';

const RUNS = 'C0RUNS';
const OPS = 'C0OPS';
const BLOCKS = [{ type: 'section', text: { type: 'mrkdwn', text: '*deploy* started' } }];
const section = (text: string) => [{ type: 'section', text: { type: 'mrkdwn', text } }];

/** The real WebClient against the fake, configured as Runway configures it. */
describe('Slack stand-in with the real WebClient', () => {
  let slack: SlackServer;

  function client(options: WebClientOptions = {}, token = slack.token): WebClient {
    return new WebClient(token, {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
      ...options,
    });
  }

  /** Resolves to how long `promise` took to reject, and what it rejected with. */
  async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    const start = Date.now();
    try {
      await promise;
    } catch (error) {
      return { error, ms: Date.now() - start };
    }
    throw new Error('expected the call to reject');
  }

  beforeAll(async () => {
    slack = await startSlackServer({ channels: [RUNS, OPS] });
  });
  afterEach(() => slack.setMode('ok'));
  afterAll(() => slack.stop());

  it('answers auth.test with the bot user', async () => {
    await expect(client().auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0RUNWAY', bot_id: 'B0RUNWAY' });
  });

  it('stores a post, its updates and a thread reply', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: RUNS, text: 'deploy started', blocks: BLOCKS });
    expect(posted).toMatchObject({ ok: true, channel: RUNS, message: { text: 'deploy started', blocks: BLOCKS } });
    const ts = posted.ts!;
    expect(ts).toMatch(/^\d{10}\.\d{6}$/);

    await web.chat.update({ channel: RUNS, ts, text: 'deploy 1/2', blocks: section('step 1 of 2') });
    const updated = await web.chat.update({ channel: RUNS, ts, text: 'deploy done', blocks: section('done') });
    expect(updated).toMatchObject({ ok: true, ts, text: 'deploy done' });

    const reply = await web.chat.postMessage({ channel: RUNS, text: 'step log', thread_ts: ts });
    expect(Number(reply.ts)).toBeGreaterThan(Number(ts));
    expect(reply.message).toMatchObject({ thread_ts: ts });

    const [message, ...others] = slack.messages(RUNS);
    expect(others).toEqual([]);
    expect(message).toMatchObject({ ts, text: 'deploy done', blocks: section('done'), updates: 2 });
    expect(message.history).toEqual([
      { text: 'deploy started', blocks: BLOCKS },
      { text: 'deploy 1/2', blocks: section('step 1 of 2') },
      { text: 'deploy done', blocks: section('done') },
    ]);
    expect(slack.replies(ts)).toMatchObject([{ ts: reply.ts, threadTs: ts, text: 'step log', updates: 0 }]);
    expect(slack.messages(OPS)).toEqual([]);
  });

  it('drops old blocks when an update brings text only, as Slack does', async () => {
    const web = client();
    const { ts } = await web.chat.postMessage({ channel: OPS, text: 'x', blocks: BLOCKS });
    await web.chat.update({ channel: OPS, ts: ts!, text: 'plain now' });
    expect(slack.messages(OPS).find((m) => m.ts === ts)).not.toHaveProperty('blocks');
  });

  it('takes a JSON body as well as a form-encoded one', async () => {
    const response = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${slack.token}`, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: OPS, text: 'as json', blocks: BLOCKS }),
    });
    const body = (await response.json()) as { ok: boolean; ts: string };
    expect(body.ok).toBe(true);
    expect(slack.messages(OPS).find((m) => m.ts === body.ts)).toMatchObject({ text: 'as json', blocks: BLOCKS });
  });

  it.each([
    ['a bad token', () => client({}, 'xoxb-wrong').chat.postMessage({ channel: RUNS, text: 'x' }), 'invalid_auth'],
    ['no token', () => client({}, '').chat.postMessage({ channel: RUNS, text: 'x' }), 'not_authed'],
    ['an unknown channel', () => client().chat.postMessage({ channel: 'C0NOPE', text: 'x' }), 'channel_not_found'],
    ['an unknown ts', () => client().chat.update({ channel: RUNS, ts: '1.000001', text: 'x' }), 'message_not_found'],
    ['an unknown method', () => client().apiCall('chat.delete', { channel: RUNS, ts: '1.1' }), 'unknown_method'],
  ])('rejects %s with a platform error', async (_, call, code) => {
    const before = slack.messages().length;
    const { error } = await rejection(call());
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    expect(error).toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: code } });
    expect(slack.messages()).toHaveLength(before);
  });

  describe('failure modes', () => {
    const FAILED = 'posted in a failure mode';
    const post = (web = client(), text = FAILED) => web.chat.postMessage({ channel: RUNS, text });
    // Nothing is stored unless answered ok.
    afterEach(() => expect(slack.messages().filter((m) => m.text === FAILED)).toEqual([]));

    it("'error': HTTP 200 with ok false, a platform error", async () => {
      slack.setMode('error');
      const { error } = await rejection(post());
      expect(error).toBeInstanceOf(WebAPIPlatformError);
      expect(error).toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: 'internal_error' } });
    });

    it("'ratelimit': HTTP 429, rejected at once as rate limited", async () => {
      slack.setMode('ratelimit');
      const { error, ms } = await rejection(post());
      expect(error).toBeInstanceOf(WebAPIRateLimitedError);
      expect(error).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
      expect(error).not.toHaveProperty('data');
      expect(ms).toBeLessThan(500);
    });

    // Without rejectRateLimitedCalls, WebClient sleeps Retry-After, then its own plain Error is wrapped as a request
    // error: by code it looks like a network failure.
    it("'ratelimit' without rejectRateLimitedCalls: waits Retry-After, then a request error", async () => {
      slack.setMode('ratelimit');
      const { error, ms } = await rejection(post(client({ rejectRateLimitedCalls: false })));
      expect(error).toBeInstanceOf(WebAPIRequestError);
      expect(error).toMatchObject({ code: ErrorCode.RequestError });
      expect((error as Error).message).toMatch(
        /^A request error occurred: A rate limit was exceeded \(url: .*, retry-after: 1\)$/,
      );
      expect(ms).toBeGreaterThanOrEqual(950);
    });

    it("'http500': an HTTP error with the status code", async () => {
      slack.setMode('http500');
      const { error } = await rejection(post());
      expect(error).toBeInstanceOf(WebAPIHTTPError);
      expect(error).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500, body: 'internal server error' });
    });

    it("'hang': the client's timeout rejects it as a request error", async () => {
      slack.setMode('hang');
      const { error, ms } = await rejection(post(client({ timeout: 500 })));
      expect(error).toBeInstanceOf(WebAPIRequestError);
      // `original` is the DOMException TimeoutError in plain Node; under jest's realm it is re-wrapped in an Error.
      expect(error).toMatchObject({ code: ErrorCode.RequestError });
      expect((error as Error).message).toMatch(/aborted due to timeout/);
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(2000);
    });

    it("'down': a 429, a platform error and an HTTP 500 in turn, each recorded with its shape", async () => {
      const from = slack.calls.length;
      slack.setMode('down');
      const errors: unknown[] = [];
      for (let i = 0; i < 4; i++) errors.push((await rejection(post())).error);
      expect(errors.map((e) => (e as Error).constructor)).toEqual([
        WebAPIRateLimitedError,
        WebAPIPlatformError,
        WebAPIHTTPError,
        WebAPIRateLimitedError,
      ]);
      expect(slack.calls.slice(from).map((c) => c.mode)).toEqual(['ratelimit', 'error', 'http500', 'ratelimit']);
    });

    it('works again after setMode("ok"), and calls[] records the mode of each request', async () => {
      const from = slack.calls.length;
      const modes: SlackMode[] = ['error', 'http500', 'ratelimit', 'hang'];
      for (const mode of modes) {
        slack.setMode(mode);
        await rejection(post(client({ timeout: 300 })));
      }
      slack.setMode('ok');
      const { ts } = await post(client(), 'back to normal');
      expect(slack.calls.slice(from)).toMatchObject(
        [...modes, 'ok'].map((mode) => ({ method: 'chat.postMessage', mode, at: expect.any(Number) })),
      );
      expect(slack.messages(RUNS).find((m) => m.ts === ts)).toMatchObject({ text: 'back to normal' });
    });
  });

  it('stop() releases a request left hanging, which the client sees as a request error', async () => {
    const other = await startSlackServer();
    other.setMode('hang');
    const web = new WebClient(other.token, {
      slackApiUrl: other.url,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    const pending = rejection(web.auth.test());
    while (other.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const start = Date.now();
    await other.stop();
    expect(Date.now() - start).toBeLessThan(1000);
    const { error } = await pending;
    expect(error).toBeInstanceOf(WebAPIRequestError);
    expect(error).toMatchObject({ code: ErrorCode.RequestError });
    await other.stop(); // twice is fine
  });
});
