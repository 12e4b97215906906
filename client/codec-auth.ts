import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may use `runway codec-server`: a caller presenting the token — as `Authorization: Bearer <token>` (the Temporal
 * CLI's `--codec-auth`, scripts) or as the session cookie the login page sets for a browser (the Web UI calls the
 * codec server with "include cross-origin credentials"). The cookie is not the token: it is an expiry and an HMAC of
 * it keyed by the token, so it lapses on its own and every session ends when the token changes.
 */
export const SESSION_COOKIE = 'runway_codec';
/** How long a browser session lasts after logging in. */
export const SESSION_SECONDS = 12 * 3600;

export class CodecAuth {
  constructor(private readonly token: string) {}

  /** How the request proved it holds the token, or undefined when it did not. */
  check(req: IncomingMessage, nowMs = Date.now()): 'bearer' | 'session' | undefined {
    const header = req.headers.authorization;
    const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1].trim();
    if (bearer !== undefined && this.isToken(bearer)) return 'bearer';
    return this.sessionOf(req, nowMs) ? 'session' : undefined;
  }

  /** Compares in constant time (digests of equal length, whatever the lengths of the texts). */
  isToken(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), digest(this.token));
  }

  /** A session cookie value valid until `nowMs` + {@link SESSION_SECONDS}. */
  newSession(nowMs = Date.now()): { value: string; expires: Date } {
    const expires = Math.floor(nowMs / 1000) + SESSION_SECONDS;
    return { value: `${expires}.${this.mac(expires)}`, expires: new Date(expires * 1000) };
  }

  /** When a valid session cookie value expires, or undefined for one that is invalid or expired. */
  sessionExpiry(value: string, nowMs = Date.now()): Date | undefined {
    const match = value.match(/^(\d{1,12})\.([0-9a-f]{64})$/);
    if (!match) return undefined;
    const expires = Number(match[1]);
    if (expires * 1000 <= nowMs || expires * 1000 > nowMs + SESSION_SECONDS * 1000) return undefined;
    const ok = timingSafeEqual(Buffer.from(match[2], 'hex'), Buffer.from(this.mac(expires), 'hex'));
    return ok ? new Date(expires * 1000) : undefined;
  }

  /** When the request's session cookie expires, or undefined when it carries no valid one. */
  sessionOf(req: IncomingMessage, nowMs = Date.now()): Date | undefined {
    const value = cookies(req)[SESSION_COOKIE];
    return value === undefined ? undefined : this.sessionExpiry(value, nowMs);
  }

  private mac(expires: number): string {
    return createHmac('sha256', this.token).update(`runway codec session until ${expires}`).digest('hex');
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The request's cookies by name (the last of a repeated name wins). */
export function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

/** The `Set-Cookie` value of a session (or, without one, of its removal): never readable by scripts, same site only. */
export function sessionCookie(session?: { value: string }): string {
  const attributes = 'HttpOnly; SameSite=Strict; Path=/';
  return session
    ? `${SESSION_COOKIE}=${session.value}; ${attributes}; Max-Age=${SESSION_SECONDS}`
    : `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`;
}
