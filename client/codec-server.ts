import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { EncryptionError, UndecryptableError } from '../config/encryption';
import { CodecAuth, sessionCookie } from './codec-auth';
import { loginPage } from './codec-page';

/**
 * `runway codec-server`: Temporal's remote codec protocol — `POST …/encode` and `POST …/decode` with a JSON body
 * `{ "payloads": [{ "metadata": {…base64}, "data": base64 }] }` — for the Web UI and `temporal … --codec-endpoint`.
 * Only a holder of the token gets an answer (see {@link CodecAuth}); browsers only from the configured Web UI
 * origins (CORS with credentials); any request naming another origin is refused before it is read.
 */
export interface CodecServerOptions {
  codec: PayloadCodec;
  token: string;
  /** `host:port` as in `temporal.encryption.codecServer.listen`. */
  listen: string;
  /** Web UI origins allowed to call from a browser. */
  origins: string[];
  /** Told one line per refused request (who, what, why), for the operator's log. */
  log?: (line: string) => void;
}

export interface RunningCodecServer {
  /** The endpoint to give the Web UI and the Temporal CLI, e.g. http://localhost:8888. */
  endpoint: string;
  server: Server;
  close(): Promise<void>;
}

/** Largest request body read (a page of history's payloads fits many times over). */
export const MAX_BODY_BYTES = 16 << 20;

const PayloadJson = z.object({
  metadata: z.record(z.string(), z.base64()).nullish(),
  data: z.base64().nullish(),
});
const PayloadsJson = z.object({ payloads: z.array(PayloadJson) });

/** Starts the server; an address in use or not allowed is an {@link EncryptionError}, and nothing is left listening. */
export async function startCodecServer(o: CodecServerOptions): Promise<RunningCodecServer> {
  const { host, port } = parseListen(o.listen);
  const endpoint = codecEndpoint(o.listen);
  const server = createServer((req, res) => {
    handle(req, res, o, endpoint).catch((err: Error) =>
      reply(res, err instanceof UndecryptableError ? 422 : err instanceof TooLarge ? 413 : 500, { error: err.message }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be listened on (${err.code ?? err.message})`;
      reject(new EncryptionError(`temporal.encryption.codecServer.listen: ${o.listen} ${why}`));
    });
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    endpoint: port === 0 ? endpoint.replace(/:0$/, `:${bound}`) : endpoint,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `127.0.0.1:8888` → host and port (`[::1]:8888` too). */
export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

/**
 * The URL a browser and the CLI use: a loopback address is named `localhost`, the same site as the dev server's Web
 * UI at http://localhost:8233, so the browser sends the session cookie with the UI's credentialed requests.
 */
export function codecEndpoint(listen: string): string {
  const { host, port } = parseListen(listen);
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  return `http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function handle(req: IncomingMessage, res: ServerResponse, o: CodecServerOptions, endpoint: string) {
  const auth = new CodecAuth(o.token);
  const origins = o.origins.map((u) => new URL(u).origin);
  const origin = req.headers.origin;
  const path = new URL(req.url ?? '/', 'http://codec').pathname;
  const refuse = (status: number, why: string) => {
    o.log?.(`refused ${req.method} ${path} from ${req.socket.remoteAddress}${origin ? ` (${origin})` : ''}: ${why}`);
    reply(res, status, { error: why });
  };
  const action = path.match(/\/(encode|decode)$/)?.[1] as 'encode' | 'decode' | undefined;
  if (origin !== undefined && action !== undefined) {
    if (!origins.includes(origin))
      return refuse(403, `origin ${origin} is not in temporal.encryption.codecServer.origins`);
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
  if (action) {
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      return reply(res, 204);
    }
    if (req.method !== 'POST') return refuse(405, `${path} takes POST`);
    if (!auth.check(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="runway codec server"');
      return refuse(401, 'present the codec server token (Authorization: Bearer <token>, or log in at /)');
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return refuse(415, 'send the payloads as application/json');
    }
    const body = PayloadsJson.safeParse(await readJson(req));
    if (!body.success) return refuse(400, 'expected { "payloads": [{ "metadata": {…}, "data": base64 }] }');
    const payloads = body.data.payloads.map(fromJson);
    const out = action === 'encode' ? await o.codec.encode(payloads) : await o.codec.decode(payloads);
    return reply(res, 200, { payloads: out.map(toJson) });
  }
  return page(req, res, { ...o, auth, endpoint, path });
}

/** The login page, for a person with a browser: `GET /`, `POST /login` (the token as a form field), `POST /logout`. */
async function page(
  req: IncomingMessage,
  res: ServerResponse,
  o: CodecServerOptions & { auth: CodecAuth; endpoint: string; path: string },
) {
  const { auth, endpoint, path } = o;
  const html = (status: number, refused = false, expires?: Date) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(loginPage({ endpoint, origins: o.origins, expires, refused }));
  };
  if (path === '/' && req.method === 'GET') return html(200, false, auth.sessionOf(req));
  if (path === '/login' && req.method === 'POST') {
    const token = new URLSearchParams(await readText(req)).get('token') ?? '';
    if (!auth.isToken(token)) {
      o.log?.(`refused a login from ${req.socket.remoteAddress}: not the token`);
      return html(401, true);
    }
    const session = auth.newSession();
    res.setHeader('Set-Cookie', sessionCookie(session));
    return html(200, false, session.expires);
  }
  if (path === '/logout' && req.method === 'POST') {
    res.setHeader('Set-Cookie', sessionCookie());
    return html(200);
  }
  reply(res, 404, { error: 'the codec server answers POST …/encode and …/decode, and its login page at /' });
}

function fromJson(p: z.infer<typeof PayloadJson>): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data),
  };
}

class TooLarge extends Error {}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TooLarge(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, body?: object): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, body ? { 'Content-Type': 'application/json' } : {});
  res.end(body ? JSON.stringify(body) : undefined);
}
