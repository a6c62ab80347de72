/**
 * What the conformance suite does not cover, against the GCS emulator (and, for failures,
 * against a server that never answers and a port nobody listens on).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { File } from '@google-cloud/storage';
import { lazyStream, md5Hex, readAll } from '@som/conformance';
import { ObjectStore } from '@som/core';
import { freePort, somErrorOf } from '@som/testing';
import { startGcsTestBed, type GcsTestBed } from './__tests__/emulator';

let bed: GcsTestBed;
let store: ObjectStore;

beforeAll(async () => {
  bed = await startGcsTestBed();
  store = new ObjectStore(bed.driver({ resumableThresholdBytes: 64 * 1024 }));
}, 60_000);
afterAll(async () => bed?.stop());

describe('uploads', () => {
  let spy: jest.SpyInstance;
  beforeEach(() => {
    spy = jest.spyOn(File.prototype, 'createWriteStream');
  });
  afterEach(() => spy.mockRestore());

  it('uploads small objects in one request and large ones resumable, never with an ACL', async () => {
    await store.put('up/small', randomBytes(1000));
    await store.put('up/large', lazyStream(300 * 1024, 1, 16 * 1024));
    const options = spy.mock.calls.map(([opts]) => opts as Record<string, unknown>);
    expect(options.map((o) => o.resumable)).toEqual([false, true]);
    for (const o of options) {
      expect(o).not.toHaveProperty('predefinedAcl');
      expect(o).not.toHaveProperty('public');
      expect(o).not.toHaveProperty('private');
    }
  });

  it('never guesses a content type from the key', async () => {
    await store.put('up/guess.dcm', 'x');
    await store.put('up/guess.txt', 'x');
    expect((await store.head('up/guess.dcm')).contentType).toBe('application/octet-stream');
    expect((await store.head('up/guess.txt')).contentType).toBe('application/octet-stream');
    await store.put('up/dicom', 'x', { contentType: 'application/dicom' });
    expect((await store.head('up/dicom')).contentType).toBe('application/dicom');
  });

  it('rejects a resumable upload whose bytes do not match the md5, keeping the previous object', async () => {
    await store.put('up/resumable-md5', 'previous');
    const err = await somErrorOf(
      store.put('up/resumable-md5', lazyStream(200 * 1024, 2, 8192), {
        md5: md5Hex(Buffer.from('other')),
      }),
    );
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('md5 mismatch writing up/resumable-md5');
    expect((await store.getBuffer('up/resumable-md5')).toString()).toBe('previous');
  });

  it('stores a resumable upload whose md5 matches, and reports its md5 and crc32c', async () => {
    const bytes = randomBytes(200 * 1024);
    const attributes = await store.put('up/resumable-ok', bytes, { md5: md5Hex(bytes) });
    expect(attributes).toMatchObject({ size: bytes.length, md5: md5Hex(bytes) });
    expect(attributes.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
  });

  it('cancels an upload on abort, storing nothing', async () => {
    const controller = new AbortController();
    let sent = 0;
    const slow = new Readable({
      read() {
        sent++;
        if (sent === 3) controller.abort();
        setTimeout(() => this.push(Buffer.alloc(64 * 1024, sent)), 5);
      },
    });
    const err = await somErrorOf(store.put('up/aborted', slow, { signal: controller.signal }));
    expect(err.code).toBe('Canceled');
    expect(await store.exists('up/aborted')).toBe(false);
  });
});

describe('reads', () => {
  it('reads a whole object with validation, and a range without', async () => {
    const bytes = randomBytes(5000);
    await store.put('read/a', bytes);
    const read = await readAll(await store.get('read/a'));
    expect(createHash('md5').update(read).digest('hex')).toBe(md5Hex(bytes));
    expect(
      (await store.getBuffer('read/a', { range: { start: 4990 } })).equals(bytes.subarray(4990)),
    ).toBe(true);
  });
});

describe('listings', () => {
  it('lists each common prefix once over pages, and refuses a token it did not make', async () => {
    for (const key of ['pages/a', 'pages/b/1', 'pages/c', 'pages/d/1', 'pages/e'])
      await store.put(key, 'x');
    const entries: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.list({
        prefix: 'pages/',
        delimiter: '/',
        pageSize: 1,
        ...(pageToken ? { pageToken } : {}),
      });
      entries.push(...page.objects.map((o) => o.key), ...page.prefixes);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(entries.sort()).toEqual(['pages/a', 'pages/b/', 'pages/c', 'pages/d/', 'pages/e']);
    expect(
      (await somErrorOf(store.list({ prefix: 'pages/', pageToken: 'not-a-token' }))).code,
    ).toBe('InvalidArgument');
  });
});

describe('signed URLs', () => {
  it('signs a v4 GET URL that reads the object', async () => {
    await store.put('signed/a b.dcm', 'signed content', { contentType: 'application/dicom' });
    const url = await store.signedUrl('signed/a b.dcm', { method: 'GET', expiresInSeconds: 300 });
    expect(url).toContain('X-Goog-Algorithm=GOOG4-RSA-SHA256');
    expect(url).toContain('X-Goog-Expires=300');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('signed content');
  });

  it('signs a v4 PUT URL bound to the content type', async () => {
    const url = new URL(
      await store.signedUrl('signed/up', {
        method: 'PUT',
        expiresInSeconds: 60,
        contentType: 'application/dicom',
      }),
    );
    expect(url.pathname.endsWith('/signed/up')).toBe(true);
    expect(url.searchParams.get('X-Goog-SignedHeaders')).toBe('content-type;host');
    expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
  });

  it('explains that signing needs credentials that can sign', async () => {
    const detection = process.env.METADATA_SERVER_DETECTION;
    process.env.METADATA_SERVER_DETECTION = 'none';
    try {
      const unsigned = new ObjectStore(bed.driver({ keyFilename: undefined }));
      const err = await somErrorOf(
        unsigned.signedUrl('signed/x', { method: 'GET', expiresInSeconds: 60 }),
      );
      expect(err.code).toBe('FailedPrecondition');
      expect(err.message).toContain('signing needs a service-account key');
    } finally {
      if (detection === undefined) delete process.env.METADATA_SERVER_DETECTION;
      else process.env.METADATA_SERVER_DETECTION = detection;
    }
  });
});

describe('unreachable and stalled servers', () => {
  let blackHole: Server;
  let blackHolePort: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    blackHolePort = await freePort();
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined); // read requests, never answer
    });
    await new Promise<void>((resolve) => blackHole.listen(blackHolePort, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  it('fails fast with Unavailable when nothing listens', async () => {
    const port = await freePort();
    const down = new ObjectStore(
      bed.driver({ apiEndpoint: `http://127.0.0.1:${port}`, maxRetries: 0 }),
    );
    const started = Date.now();
    expect((await somErrorOf(down.head('x'))).code).toBe('Unavailable');
    expect((await somErrorOf(down.put('x', 'bytes'))).code).toBe('Unavailable');
    expect((await somErrorOf(down.list({ prefix: 'x/' }))).code).toBe('Unavailable');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up with DeadlineExceeded on a server that never answers, small or resumable', async () => {
    const stalled = new ObjectStore(
      bed.driver({
        apiEndpoint: `http://127.0.0.1:${blackHolePort}`,
        maxRetries: 0,
        timeoutMs: 400,
        resumableThresholdBytes: 1024,
      }),
    );
    const started = Date.now();
    expect((await somErrorOf(stalled.head('x'))).code).toBe('DeadlineExceeded');
    expect((await somErrorOf(stalled.put('small', 'x'))).code).toBe('DeadlineExceeded');
    expect((await somErrorOf(stalled.put('large', randomBytes(4096)))).code).toBe(
      'DeadlineExceeded',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20_000);
});
