/**
 * Random requests, built from the server's own routes with parts mangled, never make the
 * server fail on its side (5xx) or show its insides: every answer is a status below 500 and,
 * for errors, one message.
 */
import { request } from 'node:http';
import type { Client } from '@som/core';
import { testClient } from './__tests__/dataset';
import { startServer, type RunningServer } from './server';

jest.setTimeout(60_000);

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const ROUTES = [
  '/c/demo/e/alice/i/ct1?wl=lung&frame=1',
  '/c/demo?q=Modality%3DCT&kind=image&page=x',
  '/thumb/demo/alice/ct2?size=64&frame=1&window=40,400',
  '/render/demo/alice/ct1?format=png&size=10',
  '/api/search?term=Rows%3E%3D1&kind=image&limit=5',
  '/dicomweb/demo/studies?limit=101&offset=0&StudyDate=20200101-&includefield=00081030',
  '/dicomweb/demo/studies/1.2.826.1.1/series/1.2.826.1.1.1/instances/1.2.826.1.1.1.1/frames/1',
  '/dicomweb/demo/studies/1.2.826.1.1/series/1.2.826.1.1.1/metadata',
  '/dicomweb/demo?requestType=WADO&studyUID=1.2.826.2.1&seriesUID=1.2.826.2.1.1&objectUID=1.2.826.2.1.1.1',
];
const PIECES = [
  '..',
  '%2e',
  '%2F',
  '%5c',
  '%00',
  '%',
  '%ZZ',
  '//',
  '\u00e9',
  '*',
  ',',
  '=',
  '&',
  '?',
  '-1',
  '99999999999999999999',
  'x'.repeat(300),
  '%E0%A4%A',
  '"',
  '<',
  ';',
];

function mangle(path: string, next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  let out = path;
  for (let i = 0, n = 1 + Math.floor(next() * 3); i < n; i++) {
    const at = Math.floor(next() * out.length);
    const what = next();
    if (what < 0.4) out = out.slice(0, at) + pick(PIECES) + out.slice(at);
    else if (what < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 8));
    else out = out.slice(0, at) + encodeURIComponent(pick(PIECES)) + out.slice(at);
  }
  return out.startsWith('/') ? out : `/${out}`;
}

function rawGet(server: RunningServer, path: string, accept?: string) {
  const { hostname, port } = new URL(server.url);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { hostname, port, path, headers: accept ? { Accept: accept } : {} },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('mangled requests', () => {
  let client: Client;
  let server: RunningServer;
  beforeAll(async () => {
    client = await testClient();
    server = await startServer(client, { port: 0, renderThreads: 1, log: () => undefined });
  });
  afterAll(async () => {
    await server.close();
    await client.close();
  });

  it('never answer 5xx nor show a stack', async () => {
    const next = random(15);
    const accepts = [
      undefined,
      'text/html',
      'multipart/related; type="image/jpeg"',
      '*/*;q=0',
      'a/b;;;=,',
    ];
    for (let i = 0; i < 600; i++) {
      const path = mangle(ROUTES[i % ROUTES.length] as string, next);
      const accept = accepts[Math.floor(next() * accepts.length)];
      let answer: { status: number; text: string };
      try {
        answer = await rawGet(server, path, accept);
      } catch {
        continue; // a path node:http refuses to send (control characters) is no request
      }
      if (answer.status >= 500 || /\n\s+at /.test(answer.text))
        throw new Error(
          `${path} (Accept ${String(accept)}): ${answer.status} ${answer.text.slice(0, 300)}`,
        );
    }
  });
});
