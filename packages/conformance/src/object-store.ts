/**
 * The ObjectStore conformance suite: every object store driver runs it in one line,
 * `runObjectStoreConformance(harness)`, inside a jest test file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  ObjectStore,
  SomError,
  compareObjectKeys,
  mapBounded,
  md5Hex,
  type ObjectStoreDriver,
} from '@som/core';
import type { ObjectStoreFeature, ObjectStoreHarness } from './harness';
import { expectSomError } from './expect-som-error';
import { registerSuite, type Group, type GroupContext } from './groups';
import { readAll, sampleArrayBuffers } from './support';

/** A stream of `total` pseudo-random bytes made lazily in fresh chunks of `chunkSize`. */
export function lazyStream(total: number, seed: number, chunkSize = 1 << 20): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(chunkSize, total - produced);
      const chunk = Buffer.alloc(size, (seed + produced / chunkSize) % 251);
      chunk.writeUInt32BE(produced >>> 0, 0);
      produced += size;
      this.push(chunk);
    },
  });
}

/** A stream that sends some bytes and then fails. */
function failingStream(bytesBeforeFailure: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(bytesBeforeFailure, 7));
      } else {
        this.destroy(new Error('source failed on purpose'));
      }
    },
  });
}

/** What the tests of one group of the ObjectStore suite use. */
export type ObjectStoreGroupContext = GroupContext<
  ObjectStore,
  ObjectStoreHarness,
  ObjectStoreFeature
>;

/** Objects written and read back whole: empty, small, large, streamed, replaced. */
function roundTrips(ctx: ObjectStoreGroupContext): void {
  it.each([
    ['empty', 0],
    ['1-byte', 1],
    ['1 MiB + 3', (1 << 20) + 3],
  ])('stores and reads back a %s object', async (label, size) => {
    const bytes = randomBytes(size);
    const key = `roundtrip/${label}`;
    const attributes = await ctx.store.put(key, bytes);
    expect(attributes.key).toBe(key);
    expect(attributes.size).toBe(size);
    expect(attributes.md5).toBe(md5Hex(bytes));
    expect((await readAll(await ctx.store.get(key))).equals(bytes)).toBe(true);
    const head = await ctx.store.head(key);
    expect(head.size).toBe(size);
    expect(head.md5).toBe(md5Hex(bytes));
    expect(head.updated).toBeInstanceOf(Date);
  });

  it(
    'stores and reads back a 20 MB object from a stream',
    async () => {
      const total = 20 * 1000 * 1000;
      const expected = createHash('md5');
      // A Transform hashes what the driver reads, without putting the source in flowing mode.
      const source = lazyStream(total, 3).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            expected.update(chunk);
            done(null, chunk);
          },
        }),
      );
      const attributes = await ctx.store.put('roundtrip/20MB', source, {
        contentType: 'application/dicom',
      });
      const md5 = expected.digest('hex');
      expect(attributes.size).toBe(total);
      expect(attributes.md5).toBe(md5);
      const read = createHash('md5');
      let size = 0;
      for await (const chunk of await ctx.store.get('roundtrip/20MB')) {
        read.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      expect(size).toBe(total);
      expect(read.digest('hex')).toBe(md5);
    },
    ctx.slow,
  );

  it('replaces an object written twice', async () => {
    await ctx.store.put('roundtrip/twice', 'first version', { metadata: { a: '1' } });
    await ctx.store.put('roundtrip/twice', 'second', { metadata: { b: '2' } });
    expect((await ctx.store.getBuffer('roundtrip/twice')).toString()).toBe('second');
    expect((await ctx.store.head('roundtrip/twice')).metadata).toEqual({ b: '2' });
  });
}

/** Large objects go through put and get without being held in memory. */
function streaming(ctx: ObjectStoreGroupContext): void {
  ctx.feature('streaming')(
    'streams writes and reads without holding the object in memory',
    async () => {
      const total = ctx.harness.streamingBytes ?? 160 * (1 << 20);
      const bound = total / 2;
      const peakDuringPut = await sampleArrayBuffers(() =>
        ctx.store.put('streaming/big', lazyStream(total, 9)),
      );
      expect(peakDuringPut.result.size).toBe(total);
      expect(peakDuringPut.growth).toBeLessThan(bound);
      const peakDuringGet = await sampleArrayBuffers(async () => {
        let size = 0;
        let chunks = 0;
        for await (const chunk of await ctx.store.get('streaming/big')) {
          size += (chunk as Buffer).length;
          chunks++;
        }
        return { size, chunks };
      });
      expect(peakDuringGet.result.size).toBe(total);
      expect(peakDuringGet.result.chunks).toBeGreaterThan(1);
      expect(peakDuringGet.growth).toBeLessThan(bound);
      await ctx.store.delete('streaming/big');
    },
    ctx.slow * 2,
  );
}

/** Byte ranges of an object, and invalid ranges refused before any I/O. */
function rangeReads(ctx: ObjectStoreGroupContext): void {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  beforeAll(async () => {
    await ctx.store.put('range/object', bytes);
  }, ctx.slow);

  it.each([
    [10, 19],
    [0, 0],
    [999, 999],
    [0, 999],
  ])('reads bytes %i to %i', async (start, end) => {
    const got = await ctx.store.getBuffer('range/object', { range: { start, end } });
    expect(got.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('reads from an offset to the end', async () => {
    const got = await ctx.store.getBuffer('range/object', { range: { start: 995 } });
    expect(got.equals(bytes.subarray(995))).toBe(true);
  });

  it('clamps a range that ends past the object', async () => {
    const got = await ctx.store.getBuffer('range/object', { range: { start: 990, end: 5000 } });
    expect(got.equals(bytes.subarray(990))).toBe(true);
  });

  it('rejects an invalid range before any I/O', async () => {
    await expectSomError(
      ctx.store.get('range/object', { range: { start: 5, end: 2 } }),
      'InvalidArgument',
    );
    await expectSomError(
      ctx.store.get('range/object', { range: { start: -1 } }),
      'InvalidArgument',
    );
  });
}

/** Content type, user metadata, NotFound, and invalid keys. */
function attributes(ctx: ObjectStoreGroupContext): void {
  it('round-trips content type and user metadata', async () => {
    const metadata = {
      patient_alias: 'SUID-12fa',
      modality: 'CT',
      note: 'h\u00e9llo w\u00f6rld',
    };
    await ctx.store.put('attrs/one.dcm', 'DICM', { contentType: 'application/dicom', metadata });
    const head = await ctx.store.head('attrs/one.dcm');
    expect(head.contentType).toBe('application/dicom');
    expect(head.metadata).toEqual(metadata);
  });

  it('defaults the content type to application/octet-stream', async () => {
    await ctx.store.put('attrs/plain', 'x');
    expect((await ctx.store.head('attrs/plain')).contentType).toBe('application/octet-stream');
  });

  it('answers NotFound for a missing object on head, get and delete', async () => {
    await expectSomError(ctx.store.head('attrs/missing'), 'NotFound');
    await expectSomError(ctx.store.get('attrs/missing'), 'NotFound');
    await expectSomError(ctx.store.delete('attrs/missing'), 'NotFound');
    expect(await ctx.store.exists('attrs/missing')).toBe(false);
    await ctx.store.delete('attrs/missing', { ignoreMissing: true });
  });

  it('rejects invalid keys before any I/O', async () => {
    await expectSomError(ctx.store.put('', 'x'), 'InvalidArgument');
    await expectSomError(ctx.store.put('a\u0000b', 'x'), 'InvalidArgument');
    await expectSomError(ctx.store.head('x'.repeat(1025)), 'InvalidArgument');
  });
}

/** The md5 given with a put is checked; a failed upload stores nothing. */
function checksums(ctx: ObjectStoreGroupContext): void {
  ctx.feature('md5Validation')(
    'rejects an upload whose bytes do not match the md5 given, storing nothing',
    async () => {
      const bytes = Buffer.from('the real content');
      await expectSomError(
        ctx.store.put('md5/new', bytes, { md5: md5Hex(Buffer.from('other content')) }),
        'InvalidArgument',
      );
      expect(await ctx.store.exists('md5/new')).toBe(false);
      await ctx.store.put('md5/old', 'previous');
      await expectSomError(
        ctx.store.put('md5/old', bytes, { md5: md5Hex(Buffer.from('corrupted')) }),
        'InvalidArgument',
      );
      expect((await ctx.store.getBuffer('md5/old')).toString()).toBe('previous');
    },
  );

  it('accepts an upload whose md5 matches', async () => {
    const bytes = randomBytes(4096);
    const attributes = await ctx.store.put('md5/good', bytes, { md5: md5Hex(bytes) });
    expect(attributes.md5).toBe(md5Hex(bytes));
  });

  ctx.feature('failedUploadLeavesNothing')(
    'stores nothing when the source stream fails',
    async () => {
      await expect(ctx.store.put('md5/failing', failingStream(300_000))).rejects.toBeInstanceOf(
        SomError,
      );
      expect(await ctx.store.exists('md5/failing')).toBe(false);
      await ctx.store.put('md5/failing-old', 'previous');
      await expect(ctx.store.put('md5/failing-old', failingStream(300_000))).rejects.toBeInstanceOf(
        SomError,
      );
      expect((await ctx.store.getBuffer('md5/failing-old')).toString()).toBe('previous');
    },
  );
}

/** Listings page through 2,500 keys in order, by prefix and delimiter. */
function listing(ctx: ObjectStoreGroupContext): void {
  const total = 2500;
  const keyOf = (i: number): string => `list/${String(i % 5)}/${String(i).padStart(5, '0')}.dcm`;
  beforeAll(async () => {
    const indexes = Array.from({ length: total }, (_, i) => i);
    for await (const written of mapBounded(indexes, ctx.harness.fillConcurrency ?? 16, (i) =>
      ctx.store.put(keyOf(i), String(i)),
    )) {
      expect(written.size).toBeGreaterThan(0);
    }
  }, ctx.slow * 2);

  it.each([1000, 333])(
    'lists 2,500 keys in pages of %i with no key lost or repeated, in order',
    async (pageSize) => {
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await ctx.store.list({
          prefix: 'list/',
          pageSize,
          ...(pageToken ? { pageToken } : {}),
        });
        expect(page.objects.length).toBeLessThanOrEqual(pageSize);
        seen.push(...page.objects.map((o) => o.key));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken !== undefined);
      const expected = Array.from({ length: total }, (_, i) => keyOf(i)).sort(compareObjectKeys);
      expect(seen).toEqual(expected);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(total / pageSize));
    },
    ctx.slow,
  );

  it('lists under a prefix only', async () => {
    const keys: string[] = [];
    for await (const object of ctx.store.listAll('list/3/')) keys.push(object.key);
    expect(keys).toHaveLength(total / 5);
    expect(keys.every((k) => k.startsWith('list/3/'))).toBe(true);
  });

  it('groups keys into common prefixes with a delimiter', async () => {
    const page = await ctx.store.list({ prefix: 'list/', delimiter: '/' });
    expect(page.prefixes).toEqual(['list/0/', 'list/1/', 'list/2/', 'list/3/', 'list/4/']);
    expect(page.objects).toEqual([]);
    expect(page.nextPageToken).toBeUndefined();
  });

  it('pages through common prefixes and objects together', async () => {
    await ctx.store.put('list-mixed/a', 'a');
    await ctx.store.put('list-mixed/b/1', 'b1');
    await ctx.store.put('list-mixed/b/2', 'b2');
    await ctx.store.put('list-mixed/c', 'c');
    await ctx.store.put('list-mixed/d/1', 'd1');
    const entries: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await ctx.store.list({
        prefix: 'list-mixed/',
        delimiter: '/',
        pageSize: 1,
        ...(pageToken ? { pageToken } : {}),
      });
      entries.push(...page.objects.map((o) => o.key), ...page.prefixes);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(entries.sort(compareObjectKeys)).toEqual([
      'list-mixed/a',
      'list-mixed/b/',
      'list-mixed/c',
      'list-mixed/d/',
    ]);
  });

  it('lists nothing under an unused prefix', async () => {
    const page = await ctx.store.list({ prefix: 'no-such-prefix/' });
    expect(page).toEqual({ objects: [], prefixes: [] });
  });

  it('gives sizes in listings', async () => {
    const page = await ctx.store.list({ prefix: 'list/0/', pageSize: 3 });
    expect(page.objects.map((o) => o.size)).toEqual([1, 1, 2]);
  });
}

/** Keys with spaces, Unicode and URL-special characters round-trip and list exactly. */
function unusualKeys(ctx: ObjectStoreGroupContext): void {
  const keys = [
    'names/with space.dcm',
    'names/unicod\u00e9-\u65e5\u672c-\u{1F600}.dcm',
    'names/percent%20and%2F.dcm',
    'names/plus+equals=amp&.dcm',
    'names/question?hash#.dcm',
    'names/quote\'double".dcm',
    'names/tilde~star*paren().dcm',
  ];
  it.each(keys)('round-trips and lists %s', async (key) => {
    await ctx.store.put(key, key);
    expect((await ctx.store.getBuffer(key)).toString()).toBe(key);
    expect((await ctx.store.head(key)).key).toBe(key);
  });

  it('lists every unusual key exactly, in UTF-8 byte order', async () => {
    const listed: string[] = [];
    for await (const object of ctx.store.listAll('names/')) listed.push(object.key);
    expect(listed).toEqual([...keys].sort(compareObjectKeys));
  });
}

/** A deleted object is gone everywhere, and its key can be written again. */
function deletes(ctx: ObjectStoreGroupContext): void {
  it('deletes an object: gone from head, get and listings; the key can be written again', async () => {
    await ctx.store.put('delete/one', 'x');
    await ctx.store.put('delete/two', 'y');
    await ctx.store.delete('delete/one');
    await expectSomError(ctx.store.head('delete/one'), 'NotFound');
    await expectSomError(ctx.store.get('delete/one'), 'NotFound');
    const listed: string[] = [];
    for await (const object of ctx.store.listAll('delete/')) listed.push(object.key);
    expect(listed).toEqual(['delete/two']);
    await ctx.store.put('delete/one', 'again');
    expect((await ctx.store.getBuffer('delete/one')).toString()).toBe('again');
  });
}

/** `ifNotExists` creates only once, also under a race. */
function createIfAbsent(ctx: ObjectStoreGroupContext): void {
  ctx.feature('ifNotExists')(
    'creates when absent and answers AlreadyExists when present',
    async () => {
      if (!ctx.store.capabilities.ifNotExists) {
        await expectSomError(ctx.store.put('once/a', 'x', { ifNotExists: true }), 'Unimplemented');
        return;
      }
      await ctx.store.put('once/a', 'first', { ifNotExists: true });
      await expectSomError(
        ctx.store.put('once/a', 'second', { ifNotExists: true }),
        'AlreadyExists',
      );
      expect((await ctx.store.getBuffer('once/a')).toString()).toBe('first');
    },
  );

  ctx.feature('concurrentIfNotExists')(
    'lets exactly one of 8 concurrent writers create an object',
    async () => {
      if (!ctx.store.capabilities.ifNotExists)
        return expectSomError(ctx.store.put('once/b', 'x', { ifNotExists: true }), 'Unimplemented');
      const writers = Array.from({ length: 8 }, (_, i) =>
        ctx.store.put('once/race', `writer ${i}`, { ifNotExists: true }),
      );
      const results = await Promise.allSettled(writers);
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as SomError).code).toBe('AlreadyExists');
      }
      expect((await ctx.store.getBuffer('once/race')).toString()).toBe(`writer ${winners[0]}`);
    },
    ctx.slow,
  );
}

/** Server-side copy keeps bytes and attributes. */
function copy(ctx: ObjectStoreGroupContext): void {
  ctx.feature('copy')('copies an object with its attributes', async () => {
    if (!ctx.store.capabilities.copy)
      return expectSomError(ctx.store.copy('copy/a', 'copy/b'), 'Unimplemented');
    await ctx.store.put('copy/a', 'copied bytes', {
      contentType: 'application/dicom',
      metadata: { k: 'v' },
    });
    const attributes = await ctx.store.copy('copy/a', 'copy/b');
    expect(attributes.md5).toBe(md5Hex(Buffer.from('copied bytes')));
    expect((await ctx.store.getBuffer('copy/b')).toString()).toBe('copied bytes');
    const head = await ctx.store.head('copy/b');
    expect(head.contentType).toBe('application/dicom');
    expect(head.metadata).toEqual({ k: 'v' });
    await expectSomError(ctx.store.copy('copy/missing', 'copy/c'), 'NotFound');
  });
}

/** Signed GET and PUT URLs work without credentials. */
function signedURLs(ctx: ObjectStoreGroupContext): void {
  ctx.feature('signedUrls')('signs GET and PUT URLs that work without credentials', async () => {
    if (!ctx.store.capabilities.signedUrls) {
      return expectSomError(
        ctx.store.signedUrl('signed/a', { method: 'GET', expiresInSeconds: 60 }),
        'Unimplemented',
      );
    }
    await ctx.store.put('signed/a', 'signed content');
    const getUrl = await ctx.store.signedUrl('signed/a', { method: 'GET', expiresInSeconds: 300 });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('signed content');
    const putUrl = await ctx.store.signedUrl('signed/b', {
      method: 'PUT',
      expiresInSeconds: 300,
      contentType: 'application/dicom',
    });
    const put = await fetch(putUrl, {
      method: 'PUT',
      body: 'uploaded by url',
      headers: { 'content-type': 'application/dicom' },
    });
    expect(put.ok).toBe(true);
    expect((await ctx.store.getBuffer('signed/b')).toString()).toBe('uploaded by url');
  });
}

/** The keys under `prefix` in a listing, in order. */
async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.listAll(prefix)) keys.push(object.key);
  return keys;
}

/**
 * Puts whose durability is deferred (a group commit) are stored all the same, and `flush`
 * makes them durable: for a store durable on acknowledgement it has nothing to do. (What a
 * crash of the machine leaves cannot be seen from here: each driver with the capability
 * `groupCommit` tests that itself.)
 */
function groupCommit(ctx: ObjectStoreGroupContext): void {
  const deferred = { durable: 'deferred' } as const;

  it('stores deferred puts at once: read, headed and listed before the flush, and after', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(100 + i * 997));
    const puts = mapBounded(bodies.entries(), 4, ([i, bytes]) =>
      ctx.store.put(`group/batch/${String(i).padStart(2, '0')}`, bytes, {
        ...deferred,
        contentType: 'application/dicom',
        metadata: { n: String(i) },
      }),
    );
    for await (const attributes of puts) expect(attributes.key).toMatch(/^group\/batch\//);
    const check = async (): Promise<void> => {
      expect(await keysUnder(ctx.store, 'group/batch/')).toHaveLength(bodies.length);
      for (const [i, bytes] of bodies.entries()) {
        const key = `group/batch/${String(i).padStart(2, '0')}`;
        expect(await ctx.store.head(key)).toMatchObject({
          size: bytes.length,
          md5: md5Hex(bytes),
          contentType: 'application/dicom',
          metadata: { n: String(i) },
        });
        expect((await ctx.store.getBuffer(key)).equals(bytes)).toBe(true);
      }
    };
    await check();
    await ctx.store.flush();
    await check();
  });

  it('flushes with nothing deferred, and twice in a row', async () => {
    await ctx.store.flush();
    await ctx.store.put('group/now', 'durable at once');
    await ctx.store.flush();
    await ctx.store.flush();
    expect((await ctx.store.getBuffer('group/now')).toString()).toBe('durable at once');
  });

  it('replaces an object with a deferred put', async () => {
    await ctx.store.put('group/replaced', 'old bytes', { metadata: { v: '1' } });
    await ctx.store.put('group/replaced', 'new bytes', { ...deferred, metadata: { v: '2' } });
    expect((await ctx.store.getBuffer('group/replaced')).toString()).toBe('new bytes');
    await ctx.store.flush();
    expect(await ctx.store.head('group/replaced')).toMatchObject({
      md5: md5Hex(Buffer.from('new bytes')),
      metadata: { v: '2' },
    });
  });

  it('keeps a failed deferred put from storing anything, and flushes the others', async () => {
    await ctx.store.put('group/kept', 'kept', deferred);
    await expectSomError(
      ctx.store.put('group/bad-md5', 'bytes', { ...deferred, md5: md5Hex(Buffer.from('other')) }),
      'InvalidArgument',
    );
    await ctx.store.flush();
    expect(await ctx.store.exists('group/bad-md5')).toBe(false);
    expect((await ctx.store.getBuffer('group/kept')).toString()).toBe('kept');
  });

  it('flushes after a deferred object was deleted', async () => {
    await ctx.store.put('group/deleted/a', 'gone before the flush', deferred);
    await ctx.store.put('group/deleted/b', 'kept', deferred);
    await ctx.store.delete('group/deleted/a');
    await ctx.store.flush();
    expect(await keysUnder(ctx.store, 'group/deleted/')).toEqual(['group/deleted/b']);
  });

  it('takes puts while a flush runs', async () => {
    await ctx.store.put('group/during/first', 'first', deferred);
    const [flushed, ...puts] = await Promise.allSettled([
      ctx.store.flush(),
      ...Array.from({ length: 8 }, (_, i) =>
        ctx.store.put(`group/during/${i}`, `bytes ${i}`, deferred),
      ),
    ]);
    expect(flushed?.status).toBe('fulfilled');
    expect(puts.filter((p) => p.status === 'rejected')).toEqual([]);
    await ctx.store.flush();
    expect(await keysUnder(ctx.store, 'group/during/')).toHaveLength(9);
  });

  it('refuses an unknown durability before any I/O', async () => {
    await expectSomError(
      ctx.store.put('group/never', 'x', { durable: 'later' as 'deferred' }),
      'InvalidArgument',
    );
    expect(await ctx.store.exists('group/never')).toBe(false);
  });
}

/** The table of contents of the ObjectStore suite: its groups in order, each on a fresh driver. */
export const OBJECT_STORE_GROUPS: readonly Group<ObjectStoreGroupContext>[] = [
  { name: 'round trips', tests: roundTrips },
  { name: 'streaming', tests: streaming },
  { name: 'range reads', tests: rangeReads },
  { name: 'attributes', tests: attributes },
  { name: 'checksums', tests: checksums },
  { name: 'listing', tests: listing },
  { name: 'unusual keys', tests: unusualKeys },
  { name: 'delete', tests: deletes },
  { name: 'create if absent', tests: createIfAbsent },
  { name: 'copy', tests: copy },
  { name: 'signed URLs', tests: signedURLs },
  { name: 'group commit', tests: groupCommit },
];

/** Register the ObjectStore conformance suite for `harness` (call it at the top of a test file). */
export function runObjectStoreConformance(harness: ObjectStoreHarness): void {
  registerSuite(
    'ObjectStore conformance',
    harness,
    (driver: ObjectStoreDriver) => new ObjectStore(driver),
    OBJECT_STORE_GROUPS,
  );
}
