/**
 * OHIF Viewer 3, when its built `dist/` is given: its files are served where its build
 * expects them (the site root), its pages under `/ohif/`, and `/app-config.js` is generated
 * with one DICOMweb data source per collection (named by the collection), pointing at
 * `/dicomweb/<collection>` of this server.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { Context } from './context';
import { send, type Request } from './http';
import { VIEWER_ROOT } from './pages';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.jpg': 'image/jpeg',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.map': 'application/json',
};

/** The OHIF configuration of this server: one data source per collection. */
export async function appConfig(ctx: Context): Promise<string> {
  const collections: string[] = [];
  for await (const collection of ctx.client.listCollections()) collections.push(collection.uid);
  const dataSources = collections.map((name) => ({
    namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
    sourceName: name,
    configuration: {
      friendlyName: `som ${name}`,
      name,
      wadoUriRoot: `/dicomweb/${name}`,
      qidoRoot: `/dicomweb/${name}`,
      wadoRoot: `/dicomweb/${name}`,
      qidoSupportsIncludeField: true,
      imageRendering: 'wadors',
      thumbnailRendering: 'wadors',
      enableStudyLazyLoad: true,
      supportsFuzzyMatching: false,
      supportsWildcard: true,
      staticWado: false,
      singlepart: 'bulkdata,video',
      bulkDataURI: { enabled: true, relativeResolution: 'studies' },
      omitQuotationForMultipartRequest: true,
    },
  }));
  const config = {
    routerBasename: VIEWER_ROOT,
    extensions: [],
    modes: [],
    showStudyList: true,
    maxNumberOfWebWorkers: 2,
    showWarningMessageForCrossOrigin: false,
    showCPUFallbackMessage: true,
    showLoadingIndicator: true,
    strictZSpacingForVolumeViewport: true,
    defaultDataSourceName: collections[0] ?? 'none',
    dataSources,
  };
  // The roots are made absolute in the browser: OHIF resolves them against the page.
  return `window.config = ${JSON.stringify(config, null, 2)};
for (const source of window.config.dataSources) {
  for (const key of ['wadoUriRoot', 'qidoRoot', 'wadoRoot'])
    source.configuration[key] = window.location.origin + source.configuration[key];
}
`;
}

async function sendFile(req: Request, res: ServerResponse, file: string): Promise<void> {
  const info = await stat(file);
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(info.size),
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    const stream = createReadStream(file);
    stream.on('error', fail);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
}

/** True when `file` is a regular file. */
async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Answer a request for the viewer (its configuration, its pages, one of its files); false
 * when the path is none of these.
 */
export async function viewer(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  segments: readonly string[],
): Promise<boolean> {
  const dir = ctx.options.viewer;
  if (dir === undefined) return false;
  if (segments.length === 1 && segments[0] === 'app-config.js') {
    send(req, res, 200, 'text/javascript; charset=utf-8', await appConfig(ctx), {
      'Cache-Control': 'no-store',
    });
    return true;
  }
  if (segments[0] === VIEWER_ROOT.slice(1)) {
    await sendFile(req, res, join(dir, 'index.html'));
    return true;
  }
  if (segments.length === 0 || segments.some((s) => s.startsWith('.'))) return false;
  const file = resolve(dir, ...segments);
  if (!file.startsWith(dir + sep) || !(await isFile(file))) return false;
  await sendFile(req, res, file);
  return true;
}
