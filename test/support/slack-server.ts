/**
 * A local stand-in for the Slack Web API, speaking the methods Runway calls (`chat.postMessage`, `chat.update`,
 * `auth.test`) the way `@slack/web-api`'s `WebClient` expects: POST to `<url><method>`, form-encoded or JSON body,
 * bearer token, JSON `{ ok, error?, ... }` answers. Slack is SaaS, so this is the project's only fake; a mode switch
 * makes it fail the way Slack does (platform error, HTTP 500, 429 rate limit, no answer at all, or `'down'`: those
 * first three in turn).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the server answers: normally, or with one of Slack's failure shapes (see {@link startSlackServer}). */
export type SlackMode = 'ok' | 'error' | 'http500' | 'ratelimit' | 'hang' | 'down';

/** The failure shapes `'down'` takes turns answering with, one request after another. */
const DOWN: SlackMode[] = ['ratelimit', 'error', 'http500'];

/** A stored message (a top-level message or a thread reply), as last updated. */
export interface SlackMessage {
  channel: string;
  /** Unique, monotonically increasing across the server, e.g. `'1700000000.000100'`. */
  ts: string;
  text: string;
  blocks?: unknown[];
  /** The parent's ts for a thread reply; absent for a top-level message. */
  threadTs?: string;
  /** How many `chat.update` calls changed it. */
  updates: number;
  /** Every version in order: the one posted first, then one per update; the last one is the current version. */
  history: Array<{ text: string; blocks?: unknown[] }>;
}

/**
 * One request the server received, with the mode it arrived in (and so was answered in, or left hanging in); in
 * `'down'` mode, the failure shape it was answered with.
 */
export interface SlackCall {
  method: string;
  mode: SlackMode;
  at: number;
}

/** A running fake Slack; see {@link startSlackServer}. */
export interface SlackServer {
  /** The `slackApiUrl` to give `WebClient`, ending with `/api/`. */
  url: string;
  /** The only bearer token accepted: another one gets `invalid_auth`, none gets `not_authed`. */
  token: string;
  /** Switches how the following requests are answered. */
  setMode(mode: SlackMode): void;
  /** Copies of the top-level messages (not thread replies), in post order, optionally of one channel. */
  messages(channel?: string): SlackMessage[];
  /** Copies of the thread replies to the message `threadTs`, in post order. */
  replies(threadTs: string): SlackMessage[];
  /** Every request received, in arrival order (live array). */
  calls: SlackCall[];
  /** Closes the server and every connection, including requests left hanging; safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startSlackServer}. */
export interface SlackServerOptions {
  /** The bearer token to accept (default `xoxb-runway-test`). */
  token?: string;
  /** When given, posting to or updating in any other channel fails with `channel_not_found`. */
  channels?: string[];
}

type Params = Record<string, unknown>;
type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: string };

const BOT = { user: 'runway', user_id: 'U0RUNWAY', bot_id: 'B0RUNWAY', team: 'Runway Tests', team_id: 'T0RUNWAY' };
const TS_EPOCH = 1_700_000_000;

/**
 * Starts the fake on 127.0.0.1 with a random port. Modes: `ok` answers normally; `error` answers HTTP 200
 * `{ ok: false, error: 'internal_error' }`; `http500` answers HTTP 500; `ratelimit` answers HTTP 429 with
 * `Retry-After: 1` and `{ ok: false, error: 'ratelimited' }`; `hang` never answers (until {@link SlackServer.stop}).
 * Nothing is stored unless the answer is ok. Any method but the three above gets `unknown_method`.
 */
export async function startSlackServer(opts: SlackServerOptions = {}): Promise<SlackServer> {
  const token = opts.token ?? 'xoxb-runway-test';
  const channels = opts.channels ? new Set(opts.channels) : undefined;
  const all: SlackMessage[] = []; // top-level messages and replies together, in post order
  const calls: SlackCall[] = [];
  const sockets = new Set<Socket>();
  let mode: SlackMode = 'ok';
  let downTurn = 0;
  let seq = 0;

  const nextTs = (): string => {
    const micros = ++seq * 100;
    return `${TS_EPOCH + Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  };
  const knownChannel = (channel: string | undefined): channel is string =>
    channel !== undefined && channel !== '' && (channels === undefined || channels.has(channel));

  function postMessage(p: Params): Answer {
    const channel = str(p.channel);
    if (!knownChannel(channel)) return { ok: false, error: 'channel_not_found' };
    const text = str(p.text);
    const blocks = p.blocks as unknown[] | undefined;
    if (!text && !blocks?.length) return { ok: false, error: 'no_text' };
    // A reply to a reply joins the same thread; a thread_ts that names no message in the channel is ignored.
    const parent = all.find((m) => m.channel === channel && m.ts === str(p.thread_ts));
    const message: SlackMessage = {
      channel,
      ts: nextTs(),
      text: text ?? '',
      ...(blocks && { blocks }),
      ...(parent && { threadTs: parent.threadTs ?? parent.ts }),
      updates: 0,
      history: [{ text: text ?? '', ...(blocks && { blocks }) }],
    };
    all.push(message);
    return { ok: true, channel, ts: message.ts, message: wire(message) };
  }

  function update(p: Params): Answer {
    const channel = str(p.channel);
    if (!knownChannel(channel)) return { ok: false, error: 'channel_not_found' };
    const message = all.find((m) => m.channel === channel && m.ts === str(p.ts));
    if (!message) return { ok: false, error: 'message_not_found' };
    const text = str(p.text);
    const blocks = p.blocks as unknown[] | undefined;
    if (text === undefined && blocks === undefined) return { ok: false, error: 'no_text' };
    // As Slack does: new text without blocks drops the old blocks; an empty array removes them too.
    message.text = text ?? message.text;
    if (blocks?.length) message.blocks = blocks;
    else delete message.blocks;
    message.updates += 1;
    message.history.push({ text: message.text, ...(message.blocks && { blocks: message.blocks }) });
    return { ok: true, channel, ts: message.ts, text: message.text, message: wire(message) };
  }

  const methods: Record<string, (p: Params) => Answer> = {
    'chat.postMessage': postMessage,
    'chat.update': update,
    'auth.test': () => ({ ok: true, url: 'https://runway-tests.slack.com/', ...BOT, is_enterprise_install: false }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedIn = mode === 'down' ? DOWN[downTurn++ % DOWN.length] : mode;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = url.pathname.replace(/^\/api\//, '');
    calls.push({ method, mode: arrivedIn, at: Date.now() });
    const body = await readBody(req);
    if (arrivedIn === 'hang') return; // the socket stays open until the client gives up or stop() destroys it
    if (arrivedIn === 'http500') return send(res, 500, 'internal server error');
    if (arrivedIn === 'ratelimit') return send(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '1' });
    if (arrivedIn === 'error') return send(res, 200, { ok: false, error: 'internal_error' });
    const handler = methods[method];
    if (!handler) return send(res, 200, { ok: false, error: 'unknown_method' });
    const params = parseParams(url, req.headers['content-type'], body);
    if (typeof params === 'string') return send(res, 200, { ok: false, error: params });
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? str(params.token);
    if (!given) return send(res, 200, { ok: false, error: 'not_authed' });
    if (given !== token) return send(res, 200, { ok: false, error: 'invalid_auth' });
    send(res, 200, handler(params));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const stopped = new Promise<void>((resolve) => server.once('close', resolve));

  return {
    url: `http://127.0.0.1:${port}/api/`,
    token,
    setMode: (next) => {
      mode = next;
    },
    messages: (channel) => structuredClone(all.filter((m) => !m.threadTs && (!channel || m.channel === channel))),
    replies: (threadTs) => structuredClone(all.filter((m) => m.threadTs === threadTs)),
    calls,
    stop: async () => {
      if (server.listening) server.close();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

/** The message object Slack returns beside `ts` (the fields Runway might read). */
function wire(m: SlackMessage): Record<string, unknown> {
  return {
    type: 'message',
    text: m.text,
    user: BOT.user_id,
    bot_id: BOT.bot_id,
    ts: m.ts,
    ...(m.blocks && { blocks: m.blocks }),
    ...(m.threadTs && { thread_ts: m.threadTs }),
  };
}

/**
 * Query parameters merged with a form-encoded or JSON body, `blocks` decoded from its JSON string form; or the Slack
 * error code for a body that does not parse.
 */
function parseParams(url: URL, contentType: string | undefined, body: string): Params | string {
  const params: Params = Object.fromEntries(url.searchParams);
  if (contentType?.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid_json';
      Object.assign(params, parsed);
    } catch {
      return 'invalid_json';
    }
  } else {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
  }
  if (typeof params.blocks === 'string') {
    try {
      params.blocks = JSON.parse(params.blocks) as unknown;
    } catch {
      return 'invalid_blocks';
    }
  }
  if (params.blocks !== undefined && !Array.isArray(params.blocks)) return 'invalid_blocks';
  return params;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers with JSON, or plain text for a string body (as Slack's load balancers do on a 5xx). */
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = typeof body !== 'string';
  res.writeHead(status, { 'Content-Type': `${json ? 'application/json' : 'text/plain'}; charset=utf-8`, ...headers });
  res.end(json ? JSON.stringify(body) : body);
}
