/**
 * A real HTTP server (node:http on 127.0.0.1, ephemeral port) implementing the DASHER
 * contract for tests: `POST /identifiers/api/v1/uid/<study>` answering deterministic
 * aliases for a valid bearer token, and `POST /token/api/v1/refresh` exchanging a refresh
 * token for a new access token. Behaviours can be scripted per uid request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DasherRequest } from '@som/identifiers';

/** What the server does with one uid request. */
export type Behaviour =
  | 'ok'
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'hang'
  | 'malformed'
  | 'drop-result'
  | 'drop-item'
  | 'echo-token-400';

/** The deterministic alias the fake gives `id`. */
export function fakeSuid(kind: string, id: string): string {
  return `${kind}${createHash('sha256').update(`${kind}\0${id}`).digest('hex').slice(0, 10)}`;
}

/** The deterministic jitter the fake gives entity `id`: 1..30 days. */
export function fakeJitter(id: string): number {
  return (createHash('sha256').update(id).digest().readUInt32BE(0) % 30) + 1;
}

/** `timestamp` (ISO 8601, as requested) with its date moved by `days`; its time and zone kept. */
function shifted(timestamp: string, days: number): string {
  const date = new Date(`${timestamp.slice(0, 10)}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return `${date.toISOString().slice(0, 10)}${timestamp.slice(10)}`;
}

/** How the fake writes its answers. */
export interface AnswerStyle {
  /** Write jitters as numeric strings (`"5"`), as some DASHER deployments do. */
  jitterAsText?: boolean;
}

/**
 * The fake's answer to a (valid) request. Items of odd index carry no jitter of their own;
 * `jittered_timestamp` is the `id_timestamp` shifted by the jitter; an entity requested
 * without items is answered without an `items` list.
 */
export function fakeAnswer(request: DasherRequest, style: AnswerStyle = {}): unknown {
  const days = (jitter: number): number | string =>
    style.jitterAsText === true ? String(jitter) : jitter;
  const timestamp = (idTimestamp: string | undefined, jitter: number): object =>
    idTimestamp === undefined ? {} : { jittered_timestamp: shifted(idTimestamp, jitter) };
  return {
    results: request.identifiers.map((identifier) => {
      const jitter = fakeJitter(identifier.id);
      const items = identifier.items ?? [];
      return {
        id: identifier.id,
        id_source: identifier.id_source,
        suid: fakeSuid('e', identifier.id),
        jitter: days(jitter),
        ...timestamp(identifier.id_timestamp, jitter),
        ...(items.length === 0
          ? {}
          : {
              items: items.map((item, index) => ({
                id: item.id,
                id_source: item.id_source,
                suid: fakeSuid('i', `${identifier.id}/${item.id}`),
                ...(index % 2 === 0 ? { jitter: days(jitter) } : {}),
                ...timestamp(item.id_timestamp, jitter),
              })),
            }),
      };
    }),
  };
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(Z|[+-]\d{4})?)?$/;

/** What DASHER would refuse in a request (HTTP 400), or undefined when it is acceptable. */
export function requestProblem(body: unknown): string | undefined {
  const named = (x: unknown): boolean =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { id?: unknown }).id === 'string' &&
    (x as { id: string }).id !== '' &&
    typeof (x as { id_source?: unknown }).id_source === 'string' &&
    (x as { id_source: string }).id_source !== '';
  const stamped = (x: { id_timestamp?: unknown }): boolean =>
    x.id_timestamp === undefined ||
    (typeof x.id_timestamp === 'string' && ISO_TIMESTAMP.test(x.id_timestamp));
  const identifiers = (body as { identifiers?: unknown } | null)?.identifiers;
  if (!Array.isArray(identifiers)) return 'no identifiers list';
  for (const identifier of identifiers as unknown[]) {
    if (!named(identifier)) return 'an identifier without id or id_source';
    const { items = [] } = identifier as { items?: unknown };
    if (!Array.isArray(items)) return 'items is not a list';
    if (items.length > 1000) return 'more than 1000 items for one identifier';
    for (const x of [identifier, ...(items as unknown[])]) {
      if (x !== identifier && !named(x)) return 'an item without id or id_source';
      if (!stamped(x as { id_timestamp?: unknown })) return 'an id_timestamp that is not ISO 8601';
    }
  }
  return undefined;
}

/** A running fake DASHER. */
export class FakeDasher {
  /** The base URL to give the client. */
  baseUrl = '';
  /** The token endpoint (`token_uri`). */
  tokenUri = '';
  /** The one access token the uid endpoint accepts. */
  validAccessToken: string;
  /** The one refresh token the token endpoint accepts. */
  validRefreshToken: string;
  /** How answers are written. */
  style: AnswerStyle = {};
  /** Scripted behaviours, consumed one per uid request; then 'ok'. */
  script: Behaviour[] = [];
  /** When false, the token endpoint refuses every refresh (HTTP 400). */
  refreshAllowed = true;
  /** Requests received by the uid endpoint (after the token check or not). */
  uidHits = 0;
  /** Requests received by the token endpoint. */
  tokenHits = 0;
  /** Bodies of uid requests that were answered 200. */
  answered: DasherRequest[] = [];
  /** The Authorization headers the uid endpoint saw. */
  authorizations: string[] = [];
  #server: Server;
  #issued = 0;

  private constructor(accessToken: string, refreshToken: string) {
    this.validAccessToken = accessToken;
    this.validRefreshToken = refreshToken;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  /** Start a fake accepting `accessToken` and refreshing with `refreshToken`. */
  static async start(accessToken: string, refreshToken: string): Promise<FakeDasher> {
    const fake = new FakeDasher(accessToken, refreshToken);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.baseUrl = `http://127.0.0.1:${port}`;
    fake.tokenUri = `${fake.baseUrl}/token/api/v1/refresh`;
    return fake;
  }

  /** Stop, dropping hanging connections. */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '';
    const send = (status: number, text: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    if (req.method === 'POST' && url === '/token/api/v1/refresh') {
      this.tokenHits += 1;
      const parsed = JSON.parse(body) as { refreshToken?: string };
      if (!this.refreshAllowed || parsed.refreshToken !== this.validRefreshToken) {
        send(400, JSON.stringify({ error: 'invalid refresh token' }));
        return;
      }
      this.#issued += 1;
      this.validAccessToken = `fresh-access-${this.#issued}-${Date.now()}`;
      this.validRefreshToken = `fresh-refresh-${this.#issued}-${Date.now()}`;
      send(
        200,
        JSON.stringify({
          accessToken: this.validAccessToken,
          refreshToken: this.validRefreshToken,
        }),
      );
      return;
    }
    const match = /^\/identifiers\/api\/v1\/uid\/([^/]+)$/.exec(url);
    if (req.method !== 'POST' || match === null) {
      send(404, JSON.stringify({ error: 'no such endpoint' }));
      return;
    }
    this.uidHits += 1;
    const authorization = req.headers.authorization ?? '';
    this.authorizations.push(authorization);
    const behaviour = this.script.shift() ?? 'ok';
    if (behaviour === 'hang') return; // never answer
    if (typeof behaviour === 'object') {
      send(behaviour.status, behaviour.body ?? '', behaviour.headers);
      return;
    }
    if (behaviour === 'echo-token-400') {
      send(400, JSON.stringify({ error: `bad request from ${authorization}` }));
      return;
    }
    if (authorization !== `Bearer ${this.validAccessToken}`) {
      send(401, JSON.stringify({ error: 'expired token' }));
      return;
    }
    if (match[1] === 'missing-study') {
      send(404, JSON.stringify({ error: 'no such study' }));
      return;
    }
    if (behaviour === 'malformed') {
      send(200, '<html>Sign in to the VPN</html>');
      return;
    }
    const request = JSON.parse(body) as DasherRequest;
    const problem = requestProblem(request);
    if (problem !== undefined) {
      send(400, JSON.stringify({ error: problem }));
      return;
    }
    const answer = fakeAnswer(request, this.style) as {
      results: { items?: unknown[] }[];
    };
    if (behaviour === 'drop-result') answer.results.pop();
    if (behaviour === 'drop-item') answer.results[0]?.items?.pop();
    this.answered.push(request);
    send(200, JSON.stringify(answer));
  }
}
