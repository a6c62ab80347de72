/**
 * The token check of every request. A client sends the token as `Authorization: Bearer
 * <token>`; a browser opens any page once with `?token=<token>`, which sets a session cookie
 * (a keyed hash of the token, never the token itself) and redirects to the same address
 * without it. Every comparison takes the same time whatever the guess.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'som_session';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equal in constant time (both sides hashed first, so lengths leak nothing either). */
function sameSecret(candidate: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(candidate), expected);
}

function cookieValue(raw: IncomingMessage, name: string): string | undefined {
  for (const part of (raw.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** What the check decided for one request. */
export type AuthOutcome = { kind: 'allowed' } | { kind: 'login'; location: string; cookie: string };

/** Checks requests against one token. */
export class TokenCheck {
  private readonly tokenDigest: Buffer;
  private readonly session: string;
  private readonly sessionDigest: Buffer;

  /** @param token the token every request must carry. */
  constructor(token: string) {
    this.tokenDigest = digest(token);
    this.session = createHmac('sha256', token).update('som serve session').digest('hex');
    this.sessionDigest = digest(this.session);
  }

  /**
   * Allow the request, turn a `?token=` into a session cookie and a redirect, or throw 401
   * with a message saying how to authenticate.
   */
  check(raw: IncomingMessage, url: URL): AuthOutcome {
    const header = raw.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match === null || !sameSecret(match[1] as string, this.tokenDigest))
        throw unauthorized('the token in the Authorization header is wrong');
      return { kind: 'allowed' };
    }
    const query = url.searchParams.get('token');
    if (query !== null) {
      if (!sameSecret(query, this.tokenDigest)) throw unauthorized('the token is wrong');
      const clean = new URL(url.href);
      clean.searchParams.delete('token');
      return {
        kind: 'login',
        location: `${clean.pathname}${clean.search}`,
        cookie: `${SESSION_COOKIE}=${this.session}; Path=/; HttpOnly; SameSite=Strict`,
      };
    }
    const cookie = cookieValue(raw, SESSION_COOKIE);
    if (cookie !== undefined) {
      if (!sameSecret(cookie, this.sessionDigest))
        throw unauthorized('the session is not valid for this server: open it with ?token= again');
      return { kind: 'allowed' };
    }
    throw unauthorized(
      'this server needs its token: send "Authorization: Bearer <token>", or open a page once with ?token=<token>',
    );
  }
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'PermissionDenied', message, {
    'WWW-Authenticate': 'Bearer realm="som"',
  });
}
