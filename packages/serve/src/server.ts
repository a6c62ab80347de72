/**
 * The server: read-only pages, JSON, previews, downloads, DICOMweb and (optionally) OHIF over
 * an opened {@link Client}. GET and HEAD only: no route writes or deletes anything. Every
 * request passes the token check when a token is set; every error is one readable message
 * with its status, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { errorMessage, validateUid, type Client, type ImageRecord } from '@som/core';
import { api } from './api';
import { TokenCheck } from './auth';
import type { Context } from './context';
import { dicomweb, streamObject } from './dicomweb/routes';
import { escapeHtml, page, html } from './html';
import {
  baseHeaders,
  describeError,
  HttpError,
  intParam,
  pathSegments,
  send,
  sendHtml,
  type Request,
} from './http';
import { InstanceReader } from './instances';
import { resolveOptions, type ServeOptions } from './options';
import { collectionPage, entityPage, homePage, imagePage } from './pages';
import { MAX_PREVIEW_SIZE, Previews, WINDOW_PRESETS } from './previews';
import { RenderPool, type Window } from './render-pool';
import { viewer } from './viewer';

/** A running server. */
export interface RunningServer {
  /** Its address, e.g. `http://127.0.0.1:8042`. */
  url: string;
  /** Stop listening, end open connections and the rendering threads (the client stays open). */
  close(): Promise<void>;
}

const STYLESHEET = readFileSync(join(__dirname, '..', 'static', 'som.css'));

/** How errors of a path are shown: JSON for programs, text for images, HTML for pages. */
function errorStyle(segments: readonly string[]): 'json' | 'text' | 'html' {
  const [first] = segments;
  if (first === 'api' || first === 'dicomweb') return 'json';
  if (first === 'thumb' || first === 'render' || first === 'download') return 'text';
  return 'html';
}

function sendError(
  req: Request | undefined,
  raw: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  segments: readonly string[],
): void {
  const { status, code, message } = describeError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = err instanceof HttpError ? err.headers : {};
  const style = errorStyle(segments);
  const request: Request = req ?? {
    raw,
    method: raw.method === 'HEAD' ? 'HEAD' : 'GET',
    segments: [],
    query: new URLSearchParams(),
  };
  if (style === 'json')
    send(
      request,
      res,
      status,
      'application/json; charset=utf-8',
      JSON.stringify({ error: { code, message } }),
      headers,
    );
  else if (style === 'text')
    send(request, res, status, 'text/plain; charset=utf-8', `${message}\n`, headers);
  else {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    sendHtml(
      request,
      res,
      status,
      page(`Error ${status}`, [], html`<p class="error" role="alert">${message}</p>`),
    );
  }
}

/** The `window` of a render: a named preset (`wl=lung`) or `window=center,width`. */
function renderWindow(query: URLSearchParams): Window | undefined {
  const preset = query.get('wl');
  if (preset !== null && preset !== 'default') {
    const window = WINDOW_PRESETS[preset];
    if (window === undefined)
      throw new HttpError(
        400,
        'InvalidArgument',
        `unknown window preset ${JSON.stringify(preset)}: use ${Object.keys(WINDOW_PRESETS).join(', ')}`,
      );
    return window;
  }
  const text = query.get('window');
  if (text === null) return undefined;
  const [center, width] = text.split(',').map(Number);
  if (
    center === undefined ||
    width === undefined ||
    !Number.isFinite(center) ||
    !Number.isFinite(width) ||
    width <= 0
  )
    throw new HttpError(
      400,
      'InvalidArgument',
      'window must be center,width with a positive width',
    );
  return { center, width };
}

/** `/thumb/<c>/<e>/<i>` and `/render/<c>/<e>/<i>`: a preview, answered from the ETag when it can be. */
async function previewRoute(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  thumb: boolean,
  c: string,
  e: string,
  i: string,
) {
  const image: ImageRecord = await ctx.client.getImage({ collection: c, entity: e, image: i });
  const format = req.query.get('format') ?? (thumb ? 'jpeg' : 'png');
  if (format !== 'png' && format !== 'jpeg')
    throw new HttpError(400, 'InvalidArgument', 'format must be png or jpeg');
  const size = intParam(
    req.query,
    'size',
    thumb ? 160 : 0,
    thumb ? 16 : 0,
    thumb ? 512 : MAX_PREVIEW_SIZE,
  );
  const frame = intParam(req.query, 'frame', 1, 1, 1_000_000);
  const window = renderWindow(req.query);
  const preview = await ctx.previews.preview({
    image,
    frame: frame - 1,
    ...(size > 0 ? { size } : {}),
    ...(window ? { window } : {}),
    format,
  });
  const headers = { ETag: preview.etag, 'Cache-Control': 'private, max-age=31536000, immutable' };
  if (req.raw.headers['if-none-match'] === preview.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  send(req, res, 200, preview.contentType, preview.body, headers);
}

async function route(ctx: Context, req: Request, res: ServerResponse): Promise<void> {
  const s = req.segments;
  const [first] = s;
  if (s.length === 0) return sendHtml(req, res, 200, await homePage(ctx));
  if (first === 'favicon.ico' && s.length === 1) {
    res.writeHead(204, { 'Cache-Control': 'max-age=86400' });
    res.end();
    return;
  }
  if (first === 'static' && s.length === 2 && s[1] === 'som.css')
    return send(req, res, 200, 'text/css; charset=utf-8', STYLESHEET, {
      'Cache-Control': 'no-cache',
    });
  if (first === 'c') {
    const [, c, e1, e, i1, i, ...more] = s;
    if (c !== undefined && e1 === undefined)
      return sendHtml(
        req,
        res,
        200,
        await collectionPage(ctx, validateUid('collection', c), req.query),
      );
    if (c !== undefined && e1 === 'e' && e !== undefined && i1 === undefined)
      return sendHtml(
        req,
        res,
        200,
        await entityPage(ctx, validateUid('collection', c), validateUid('entity', e), req.query),
      );
    if (
      c !== undefined &&
      e1 === 'e' &&
      e !== undefined &&
      i1 === 'i' &&
      i !== undefined &&
      more.length === 0
    )
      return sendHtml(
        req,
        res,
        200,
        await imagePage(
          ctx,
          validateUid('collection', c),
          validateUid('entity', e),
          validateUid('image', i),
          req.query,
        ),
      );
  }
  if ((first === 'thumb' || first === 'render' || first === 'download') && s.length === 4) {
    const [c, e, i] = [
      validateUid('collection', s[1]),
      validateUid('entity', s[2]),
      validateUid('image', s[3]),
    ];
    if (first !== 'download') return previewRoute(ctx, req, res, first === 'thumb', c, e, i);
    const image = await ctx.client.getImage({ collection: c, entity: e, image: i });
    return streamObject(ctx, req, res, image, {
      'Content-Disposition': `attachment; filename="${i}"`,
      'Cache-Control': 'no-store',
    });
  }
  if (first === 'api') return api(ctx, req, res, s.slice(1));
  if (first === 'dicomweb' && s[1] !== undefined) return dicomweb(ctx, req, res, s[1], s.slice(2));
  if (await viewer(ctx, req, res, s)) return;
  throw new HttpError(404, 'NotFound', `nothing at /${s.map(encodeURIComponent).join('/')}`);
}

/**
 * Start serving `client`'s dataset; resolves once listening. The caller keeps the client
 * and closes it after the server.
 * @throws SomError InvalidArgument for options that cannot be served (a non-loopback host
 *   without a token or `noAuth`, a viewer directory without OHIF, ...).
 */
export async function startServer(
  client: Client,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  const pool = new RenderPool(resolved.renderThreads);
  const reader = new InstanceReader(client);
  const ctx: Context = {
    client,
    reader,
    previews: new Previews(reader, resolved.previews, pool),
    options: resolved,
  };
  const tokens = resolved.token === undefined ? undefined : new TokenCheck(resolved.token);
  const server = createServer((raw, res) => {
    let segments: string[] = [];
    let req: Request | undefined;
    const handle = async (): Promise<void> => {
      baseHeaders(res);
      if (resolved.cors !== undefined) {
        res.setHeader('Access-Control-Allow-Origin', resolved.cors);
        res.setHeader('Vary', 'Origin');
        res.setHeader(
          'Access-Control-Expose-Headers',
          'ETag, Content-Type, Content-Length, Warning',
        );
      }
      const target = raw.url ?? '/';
      const url = new URL(target, 'http://som.invalid');
      // The path as sent: URL resolves `..` and `%2e%2e`, which are refused, not followed.
      segments = pathSegments(
        target.startsWith('/') ? (target.split('?')[0] as string) : url.pathname,
      );
      if (raw.method === 'OPTIONS' && resolved.cors !== undefined) {
        // A CORS preflight carries no credentials; it reveals nothing and is answered as is.
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Accept, Content-Type',
          'Access-Control-Max-Age': '600',
        });
        res.end();
        return;
      }
      if (raw.method !== 'GET' && raw.method !== 'HEAD')
        throw new HttpError(
          405,
          'PermissionDenied',
          'this server is read-only: only GET and HEAD are answered',
          { Allow: 'GET, HEAD' },
        );
      if (tokens !== undefined) {
        const outcome = tokens.check(raw, url);
        if (outcome.kind === 'login') {
          res.writeHead(303, {
            Location: outcome.location,
            'Set-Cookie': outcome.cookie,
            'Cache-Control': 'no-store',
          });
          res.end();
          return;
        }
      }
      req = { raw, method: raw.method, segments, query: url.searchParams };
      await route(ctx, req, res);
    };
    handle().catch((err: unknown) => {
      const { status } = describeError(err);
      if (status >= 500)
        resolved.log(
          `som serve: ${raw.method} ${escapeHtml(segments.join('/'))}: ${errorMessage(err)}`,
        );
      sendError(req, raw, res, err, segments);
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}
