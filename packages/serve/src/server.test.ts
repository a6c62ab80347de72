/**
 * The server on the memory stores: pages, JSON, previews, downloads, the token check, and
 * how bad requests are answered (a status and one clear message, never a stack trace).
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { Client } from '@som/core';
import { readDicomHeader } from '@som/dicom';
import { COLLECTION, DATASET, syntheticImage, testClient } from './__tests__/dataset';
import { startServer, type RunningServer } from './server';

jest.setTimeout(30_000);

const TOKEN = 'a-token-of-enough-length';

let client: Client;
let server: RunningServer;

beforeAll(async () => {
  client = await testClient();
  server = await startServer(client, { port: 0, renderThreads: 1 });
});
afterAll(async () => {
  await server.close();
  await client.close();
});

async function get(path: string, init: RequestInit = {}, base = server.url) {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, text: body.toString('utf8') };
}

/** GET `path` exactly as written (fetch would resolve `..` and `%2e%2e` first). */
function rawGet(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    const req = request({ hostname, port, path }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A response that must not reveal the server's insides. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

describe('pages', () => {
  it('lists the collections with counts, modalities and date range', async () => {
    const { res, text } = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain('script-src');
    expect(text).toContain('href="/c/demo"');
    expect(text).toMatch(/<td class="num">2<\/td>\s*<td class="num">6<\/td>/);
    expect(text).toContain('CT, MR, US');
  });

  it('pages the entities of a collection and searches them with som search terms', async () => {
    const all = await get('/c/demo');
    expect(all.res.status).toBe(200);
    expect(all.text).toContain('href="/c/demo/e/alice"');
    expect(all.text).toContain('href="/c/demo/e/bob"');
    const found = await get(`/c/demo?q=${encodeURIComponent('Modality=MR')}&kind=image`);
    expect(found.text).toContain('href="/c/demo/e/bob/i/mr1"');
    expect(found.text).not.toContain('/i/ct1');
    const typed = await get(`/c/demo?q=${encodeURIComponent('Rows>=32 Modality=CT')}&kind=image`);
    expect(typed.text).toContain('/i/ct2');
    const wrong = await get(`/c/demo?q=${encodeURIComponent('Rows=big')}&kind=image`);
    expect(wrong.text).toContain('Rows holds numbers');
  });

  it('shows an entity with its studies and series, thumbnails of middle images, and escapes values', async () => {
    const { res, text } = await get('/c/demo/e/alice');
    expect(res.status).toBe(200);
    expect(text).toContain('1.2.826.1.1');
    const md5 = createHash('md5')
      .update(syntheticImage(DATASET.alice?.[1] as never))
      .digest('hex');
    expect(text).toContain(`src="/thumb/demo/alice/ct2?v=${md5}"`);
    expect(text).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(text).not.toContain('<b>bold</b>');
    const listing = await get('/c/demo/e/alice?series=1.2.826.1.1.1');
    expect(listing.text).toContain('href="/c/demo/e/alice/i/ct3"');
  });

  it('shows an image: preview, presets, the whole header with sequences, size, md5, som get', async () => {
    const { res, text } = await get('/c/demo/e/alice/i/ct1?wl=lung');
    expect(res.status).toBe(200);
    expect(text).toContain('/render/demo/alice/ct1?v=');
    expect(text).toContain('wl=lung');
    expect(text).toContain('ReferencedImageSequence');
    expect(text).toContain('<details>');
    expect(text).toContain('1.2.3.99');
    expect(text).toContain('som get demo alice ct1 --out .');
    expect(text).toContain('href="/download/demo/alice/ct1"');
  });

  it('answers an unknown entity with 404 and a readable page', async () => {
    const { res, text } = await get('/c/demo/e/nobody');
    expect(res.status).toBe(404);
    expect(text).toContain('entity demo/nobody not found');
    expectNoStack(text);
  });
});

describe('api', () => {
  it('gives what som ls --json and som search --json print', async () => {
    const collections = JSON.parse((await get('/api/ls')).text) as { uid: string }[];
    expect(collections.map((c) => c.uid)).toEqual(['demo']);
    const entities = JSON.parse((await get('/api/ls/demo')).text) as { uid: string }[];
    expect(entities.map((e) => e.uid)).toEqual(['alice', 'bob']);
    const images = JSON.parse((await get('/api/ls/demo/bob')).text) as Record<string, unknown>[];
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      uid: 'mr1',
      Modality: 'MR',
      contentType: 'application/dicom',
    });
    const search = JSON.parse(
      (await get(`/api/search?term=${encodeURIComponent('Modality=CT')}&limit=2`)).text,
    ) as { uid: string }[];
    expect(search.map((r) => r.uid)).toEqual(['burned', 'ct1']);
    const empty = await get('/api/ls/demo/nobody');
    expect(empty.res.status).toBe(404);
    expect(JSON.parse(empty.text)).toEqual({
      error: { code: 'NotFound', message: 'entity demo/nobody not found' },
    });
  });

  it('refuses a malformed search with 400 naming the term', async () => {
    const { res, text } = await get(`/api/search?term=${encodeURIComponent('Modality')}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error.message).toContain('invalid search term "Modality"');
  });
});

describe('previews and downloads', () => {
  it('renders a thumbnail as JPEG with the md5 as ETag, immutable, and 304 when unchanged', async () => {
    const { res, body } = await get('/thumb/demo/alice/ct2');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const image = await client.getImage({ collection: COLLECTION, entity: 'alice', image: 'ct2' });
    expect(res.headers.get('etag')).toBe(`"${image.data.md5}"`);
    expect(res.headers.get('cache-control')).toContain('immutable');
    const again = await get('/thumb/demo/alice/ct2', {
      headers: { 'If-None-Match': `"${image.data.md5}"` },
    });
    expect(again.res.status).toBe(304);
  });

  it('renders at a size with a window, as PNG', async () => {
    const { res, body } = await get('/render/demo/alice/ct1?size=64&window=1000,2000');
    expect(res.status).toBe(200);
    expect(body.subarray(1, 4).toString()).toBe('PNG');
    expect(body.readUInt32BE(16)).toBe(64); // IHDR width
  });

  it('withholds the pixels of US images and of images with burned-in annotation', async () => {
    const ct = await get('/thumb/demo/alice/ct1');
    const us = await get('/thumb/demo/alice/us1');
    const burned = await get('/thumb/demo/alice/burned');
    expect(us.res.headers.get('etag')).toMatch(/-withheld"$/);
    expect(burned.res.headers.get('etag')).toMatch(/-withheld"$/);
    expect(ct.res.headers.get('etag')).not.toMatch(/withheld/);
    expect(us.body.equals(burned.body)).toBe(true);
    expect(us.body.equals(ct.body)).toBe(false);
  });

  it('downloads the stored object as application/dicom', async () => {
    const { res, body } = await get('/download/demo/bob/mr1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dicom');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="mr1"');
    expect(readDicomHeader(body, 'mr1').string('Modality')).toBe('MR');
  });
});

describe('bad requests', () => {
  it.each([
    ['/c/demo/e/%2e%2e/i/ct1', 400, /invalid path/],
    ['/c/demo/e/../../etc/passwd', 400, /invalid path/],
    ['/c/demo%2Fe/e/alice', 400, /encoded slashes/],
    ['/thumb/demo/alice/..%5Cct1', 400, /invalid path/],
    ['/thumb/demo/alice/%E0%A4%A', 400, /malformed percent-encoding/],
    ['/c/de%20mo', 400, /invalid collection uid/],
    ['/thumb/demo/alice/nothing', 404, /image demo\/alice\/nothing not found/],
    ['/render/demo/alice/ct1?size=99999', 400, /size must be a whole number from 0 to 2048/],
    ['/render/demo/alice/ct1?wl=sideways', 400, /unknown window preset/],
    ['/render/demo/alice/ct1?format=gif', 400, /format must be png or jpeg/],
    ['/api/nothing', 404, /no such API/],
    ['/nothing/here', 404, /nothing at \/nothing\/here/],
  ])('%s answers %i with a clear message', async (path, status, message) => {
    const { status: got, text } = await rawGet(path);
    expect(got).toBe(status);
    expect(text).toMatch(message);
    expectNoStack(text);
  });

  it('has no route that writes: other methods are 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const { res, text } = await get('/api/ls/demo', { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(text).toContain('read-only');
    }
    expect((await client.listImages({ collection: 'demo', entity: 'bob' }).next()).done).toBe(
      false,
    );
  });
});

describe('the token', () => {
  let guarded: RunningServer;
  beforeAll(async () => {
    guarded = await startServer(client, { port: 0, token: TOKEN, renderThreads: 1 });
  });
  afterAll(() => guarded.close());

  it.each(['/', '/api/ls', '/thumb/demo/alice/ct1', '/dicomweb/demo/studies', '/static/som.css'])(
    '%s needs it: missing or wrong is 401 with how to authenticate',
    async (path) => {
      const missing = await get(path, {}, guarded.url);
      expect(missing.res.status).toBe(401);
      expect(missing.res.headers.get('www-authenticate')).toBe('Bearer realm="som"');
      expect(missing.text).toContain('Authorization: Bearer');
      expectNoStack(missing.text);
      const wrong = await get(path, { headers: { Authorization: 'Bearer nope' } }, guarded.url);
      expect(wrong.res.status).toBe(401);
      const cookie = await get(path, { headers: { Cookie: 'som_session=forged' } }, guarded.url);
      expect(cookie.res.status).toBe(401);
      const right = await get(path, { headers: { Authorization: `Bearer ${TOKEN}` } }, guarded.url);
      expect(right.res.status).toBe(200);
    },
  );

  it('turns ?token= into a session cookie (not the token) and a redirect without it', async () => {
    const wrong = await get(`/c/demo?token=wrong-token-xxxxxxxx`, {}, guarded.url);
    expect(wrong.res.status).toBe(401);
    const login = await get(`/c/demo?q=Modality%3DCT&token=${TOKEN}`, {}, guarded.url);
    expect(login.res.status).toBe(303);
    expect(login.res.headers.get('location')).toBe('/c/demo?q=Modality%3DCT');
    const cookie = login.res.headers.get('set-cookie') as string;
    expect(cookie).toMatch(/^som_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const page = await get(
      '/c/demo',
      { headers: { Cookie: cookie.split(';')[0] as string } },
      guarded.url,
    );
    expect(page.res.status).toBe(200);
  });
});

describe('options', () => {
  it('refuses a non-loopback host without a token or noAuth', async () => {
    await expect(startServer(client, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /needs a token .* or --no-auth/,
    );
    await expect(startServer(client, { token: 'short' })).rejects.toThrow(/at least 16/);
    await expect(startServer(client, { previews: 'some' as never })).rejects.toThrow(
      /previews must be safe, all or none/,
    );
    await expect(startServer(client, { viewer: '/nonexistent' })).rejects.toThrow(
      /has no index.html/,
    );
  });

  it('shows every image with previews: all, and none with previews: none', async () => {
    const all = await startServer(client, { port: 0, previews: 'all', renderThreads: 1 });
    const none = await startServer(client, { port: 0, previews: 'none', renderThreads: 1 });
    try {
      const us = await get('/thumb/demo/alice/us1', {}, all.url);
      expect(us.res.headers.get('etag')).not.toMatch(/withheld/);
      const ct = await get('/thumb/demo/alice/ct1', {}, none.url);
      expect(ct.res.headers.get('etag')).toMatch(/withheld/);
    } finally {
      await all.close();
      await none.close();
    }
  });
});
