/**
 * Media types of DICOMweb: reading an `Accept` header into media ranges (with their
 * parameters and quality), choosing what to answer with, and writing multipart/related
 * bodies part by part (streamed, so a study's worth of objects never sits in memory).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpError } from '../http';

/** One media range of an Accept header. */
export interface MediaRange {
  /** e.g. `multipart/related`, `image/*`, `*\/*` (lower case). */
  type: string;
  /** Parameters, names lower case, values unquoted. */
  params: Record<string, string>;
  /** Quality, 0-1. */
  q: number;
}

/** The media ranges of an Accept header, best first (a missing header accepts anything). */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === '') return [{ type: '*/*', params: {}, q: 1 }];
  const ranges: MediaRange[] = [];
  // Commas inside quoted parameter values do not split ranges.
  for (const part of header.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    if (type === '') continue;
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      params[p.slice(0, eq).trim().toLowerCase()] = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    delete params.q;
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
}

/** True when `range` covers the concrete media type `type`. */
export function covers(range: MediaRange, type: string): boolean {
  if (range.type === '*/*' || range.type === type) return true;
  return range.type.endsWith('/*') && type.startsWith(range.type.slice(0, -1));
}

/** 406 naming what the resource can be given as. */
export function notAcceptable(offered: string[]): HttpError {
  return new HttpError(
    406,
    'InvalidArgument',
    `cannot answer with any media type the Accept header allows; this resource is available as ${offered.join(', ')}`,
  );
}

/** The first of `types` (in the client's order of preference) the Accept header allows. */
export function choose(header: string | undefined, types: string[]): string {
  for (const range of parseAccept(header))
    for (const type of types) if (covers(range, type)) return type;
  throw notAcceptable(types);
}

/** Writes a multipart/related body, one part at a time. */
export class MultipartWriter {
  /** The boundary (random, so it cannot occur by design in a part's header). */
  readonly boundary = `som-${randomBytes(12).toString('hex')}`;

  /**
   * @param res the response.
   * @param type the `type` parameter: the media type of the parts.
   * @param head true for a HEAD request: headers only.
   */
  constructor(
    private readonly res: ServerResponse,
    readonly type: string,
    private readonly head = false,
  ) {}

  /** Send the status and headers. */
  start(headers: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      'Content-Type': `multipart/related; type="${this.type}"; boundary=${this.boundary}`,
      ...headers,
    });
    if (this.head) this.res.end();
  }

  /** Write one part: its headers and its bytes (a buffer, or a stream piped through). */
  async part(contentType: string, body: Buffer | Readable, location?: string): Promise<void> {
    if (this.head) {
      if (!Buffer.isBuffer(body)) body.destroy();
      return;
    }
    const lines = [`--${this.boundary}`, `Content-Type: ${contentType}`];
    if (location !== undefined) lines.push(`Content-Location: ${location}`);
    await this.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`));
    if (Buffer.isBuffer(body)) await this.write(body);
    else for await (const chunk of body) await this.write(chunk as Buffer);
    await this.write(Buffer.from('\r\n'));
  }

  /** Write the closing boundary and end the response. */
  end(): void {
    if (!this.head) this.res.end(`--${this.boundary}--\r\n`);
  }

  private async write(chunk: Buffer): Promise<void> {
    if (!this.res.write(chunk)) await new Promise((resolve) => this.res.once('drain', resolve));
  }
}
