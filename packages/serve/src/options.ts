/**
 * The options of the server, their defaults, and the rule that binding anything but the
 * loopback interface needs a token (or an explicit `noAuth`).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';
import { SomError } from '@som/core';

/** What image previews (thumbnails, renders) show. */
export type PreviewPolicy = 'safe' | 'all' | 'none';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** Port (default 8042; 0 picks a free one). */
  port?: number;
  /** The token every request must carry; required unless the host is loopback or `noAuth`. */
  token?: string;
  /** Serve without a token on a non-loopback host (explicit opt-out). */
  noAuth?: boolean;
  /** The origin allowed to read from another site (CORS), e.g. `https://viewer.example.org` or `*`. */
  cors?: string;
  /** A directory holding OHIF Viewer 3's built `dist/` (served at `/ohif/`). */
  viewer?: string;
  /**
   * `safe` (default): a placeholder instead of pixels for images with BurnedInAnnotation YES
   * and for US, SC, OT and XC images; `all`: every image; `none`: placeholders only.
   */
  previews?: PreviewPolicy;
  /** Threads decoding images (default: one per CPU but one, at least one, at most 4). */
  renderThreads?: number;
  /** Where the server says what it could not do (default: standard error). Never given file values. */
  log?: (line: string) => void;
}

/** The options with their defaults applied and checked. */
export interface ResolvedOptions {
  host: string;
  port: number;
  token: string | undefined;
  cors: string | undefined;
  viewer: string | undefined;
  previews: PreviewPolicy;
  renderThreads: number | undefined;
  log: (line: string) => void;
}

/** Default port, the one Orthanc users know. */
export const DEFAULT_PORT = 8042;

/** Default interface: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

/** True when `host` names the loopback interface (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

function invalid(message: string): SomError {
  return new SomError('InvalidArgument', message);
}

/** Apply defaults and check the options; InvalidArgument naming the option otherwise. */
export function resolveOptions(options: ServeOptions): ResolvedOptions {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalid(`port must be a whole number from 0 to 65535, not ${String(port)}`);
  const token = options.token === '' ? undefined : options.token;
  if (token !== undefined && (token.length < 16 || /\s/.test(token)))
    throw invalid('the token must be at least 16 characters without spaces');
  if (token !== undefined && options.noAuth)
    throw invalid('give either a token or noAuth, not both');
  if (!isLoopback(host) && token === undefined && !options.noAuth)
    throw invalid(
      `serving on ${host} (not loopback) needs a token (--token or SOM_SERVE_TOKEN), or --no-auth to serve without one`,
    );
  const previews = options.previews ?? 'safe';
  if (!['safe', 'all', 'none'].includes(previews))
    throw invalid(`previews must be safe, all or none, not ${JSON.stringify(previews)}`);
  if (
    options.cors !== undefined &&
    options.cors !== '*' &&
    !/^https?:\/\/[^/\s]+$/.test(options.cors)
  )
    throw invalid(
      `cors must be an origin such as https://viewer.example.org (or *), not ${JSON.stringify(options.cors)}`,
    );
  let viewer: string | undefined;
  if (options.viewer !== undefined) {
    viewer = resolve(options.viewer);
    if (!existsSync(join(viewer, 'index.html')) || !statSync(viewer).isDirectory())
      throw invalid(
        `the viewer directory ${viewer} has no index.html (give the dist/ of @ohif/app)`,
      );
  }
  const threads = options.renderThreads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64))
    throw invalid(`renderThreads must be a whole number from 1 to 64, not ${String(threads)}`);
  return {
    host,
    port,
    token,
    cors: options.cors,
    viewer,
    previews,
    renderThreads: threads,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}
