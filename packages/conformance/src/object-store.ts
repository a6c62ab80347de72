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
  type ObjectStoreDriver,
} from '@som/core';
import type { ObjectStoreFeature, ObjectStoreHarness } from './harness';
import { expectSomError } from '@som/testing';
import { featureTest, md5Hex, readAll, sampleArrayBuffers } from './support';

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

/** Register the ObjectStore conformance suite for `harness` (call it at the top of a test file). */
export function runObjectStoreConformance(harness: ObjectStoreHarness): void {
  const slow = harness.slowTestTimeoutMs ?? 120_000;
  const unsupported = harness.unsupported ?? {};
  const feature = (name: ObjectStoreFeature): ReturnType<typeof featureTest> =>
    featureTest(harness.name, name, unsupported[name]);

  describe(`ObjectStore conformance: ${harness.name}`, () => {
    let driver: ObjectStoreDriver;
    let store: ObjectStore;

    beforeAll(async () => {
      driver = await harness.makeDriver();
      store = new ObjectStore(driver);
    }, slow);

    afterAll(async () => {
      await store?.close();
      await harness.teardown?.();
    }, slow);

    describe('round trips', () => {
      it.each([
        ['empty', 0],
        ['1-byte', 1],
        ['1 MiB + 3', (1 << 20) + 3],
      ])('stores and reads back a %s object', async (label, size) => {
        const bytes = randomBytes(size);
        const key = `roundtrip/${label}`;
        const attributes = await store.put(key, bytes);
        expect(attributes.key).toBe(key);
        expect(attributes.size).toBe(size);
        expect(attributes.md5).toBe(md5Hex(bytes));
        expect((await readAll(await store.get(key))).equals(bytes)).toBe(true);
        const head = await store.head(key);
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
          const attributes = await store.put('roundtrip/20MB', source, {
            contentType: 'application/dicom',
          });
          const md5 = expected.digest('hex');
          expect(attributes.size).toBe(total);
          expect(attributes.md5).toBe(md5);
          const read = createHash('md5');
          let size = 0;
          for await (const chunk of await store.get('roundtrip/20MB')) {
            read.update(chunk as Buffer);
            size += (chunk as Buffer).length;
          }
          expect(size).toBe(total);
          expect(read.digest('hex')).toBe(md5);
        },
        slow,
      );

      it('replaces an object written twice', async () => {
        await store.put('roundtrip/twice', 'first version', { metadata: { a: '1' } });
        await store.put('roundtrip/twice', 'second', { metadata: { b: '2' } });
        expect((await store.getBuffer('roundtrip/twice')).toString()).toBe('second');
        expect((await store.head('roundtrip/twice')).metadata).toEqual({ b: '2' });
      });
    });

    feature('streaming')(
      'streams writes and reads without holding the object in memory',
      async () => {
        const total = harness.streamingBytes ?? 160 * (1 << 20);
        const bound = total / 2;
        const peakDuringPut = await sampleArrayBuffers(() =>
          store.put('streaming/big', lazyStream(total, 9)),
        );
        expect(peakDuringPut.result.size).toBe(total);
        expect(peakDuringPut.growth).toBeLessThan(bound);
        const peakDuringGet = await sampleArrayBuffers(async () => {
          let size = 0;
          let chunks = 0;
          for await (const chunk of await store.get('streaming/big')) {
            size += (chunk as Buffer).length;
            chunks++;
          }
          return { size, chunks };
        });
        expect(peakDuringGet.result.size).toBe(total);
        expect(peakDuringGet.result.chunks).toBeGreaterThan(1);
        expect(peakDuringGet.growth).toBeLessThan(bound);
        await store.delete('streaming/big');
      },
      slow * 2,
    );

    describe('range reads', () => {
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
      beforeAll(async () => {
        await store.put('range/object', bytes);
      }, slow);

      it.each([
        [10, 19],
        [0, 0],
        [999, 999],
        [0, 999],
      ])('reads bytes %i to %i', async (start, end) => {
        const got = await store.getBuffer('range/object', { range: { start, end } });
        expect(got.equals(bytes.subarray(start, end + 1))).toBe(true);
      });

      it('reads from an offset to the end', async () => {
        const got = await store.getBuffer('range/object', { range: { start: 995 } });
        expect(got.equals(bytes.subarray(995))).toBe(true);
      });

      it('clamps a range that ends past the object', async () => {
        const got = await store.getBuffer('range/object', { range: { start: 990, end: 5000 } });
        expect(got.equals(bytes.subarray(990))).toBe(true);
      });

      it('rejects an invalid range before any I/O', async () => {
        await expectSomError(
          store.get('range/object', { range: { start: 5, end: 2 } }),
          'InvalidArgument',
        );
        await expectSomError(
          store.get('range/object', { range: { start: -1 } }),
          'InvalidArgument',
        );
      });
    });

    describe('attributes', () => {
      it('round-trips content type and user metadata', async () => {
        const metadata = {
          patient_alias: 'SUID-12fa',
          modality: 'CT',
          note: 'h\u00e9llo w\u00f6rld',
        };
        await store.put('attrs/one.dcm', 'DICM', { contentType: 'application/dicom', metadata });
        const head = await store.head('attrs/one.dcm');
        expect(head.contentType).toBe('application/dicom');
        expect(head.metadata).toEqual(metadata);
      });

      it('defaults the content type to application/octet-stream', async () => {
        await store.put('attrs/plain', 'x');
        expect((await store.head('attrs/plain')).contentType).toBe('application/octet-stream');
      });

      it('answers NotFound for a missing object on head, get and delete', async () => {
        await expectSomError(store.head('attrs/missing'), 'NotFound');
        await expectSomError(store.get('attrs/missing'), 'NotFound');
        await expectSomError(store.delete('attrs/missing'), 'NotFound');
        expect(await store.exists('attrs/missing')).toBe(false);
        await store.delete('attrs/missing', { ignoreMissing: true });
      });

      it('rejects invalid keys before any I/O', async () => {
        await expectSomError(store.put('', 'x'), 'InvalidArgument');
        await expectSomError(store.put('a\u0000b', 'x'), 'InvalidArgument');
        await expectSomError(store.head('x'.repeat(1025)), 'InvalidArgument');
      });
    });

    describe('checksums', () => {
      feature('md5Validation')(
        'rejects an upload whose bytes do not match the md5 given, storing nothing',
        async () => {
          const bytes = Buffer.from('the real content');
          await expectSomError(
            store.put('md5/new', bytes, { md5: md5Hex(Buffer.from('other content')) }),
            'InvalidArgument',
          );
          expect(await store.exists('md5/new')).toBe(false);
          await store.put('md5/old', 'previous');
          await expectSomError(
            store.put('md5/old', bytes, { md5: md5Hex(Buffer.from('corrupted')) }),
            'InvalidArgument',
          );
          expect((await store.getBuffer('md5/old')).toString()).toBe('previous');
        },
      );

      it('accepts an upload whose md5 matches', async () => {
        const bytes = randomBytes(4096);
        const attributes = await store.put('md5/good', bytes, { md5: md5Hex(bytes) });
        expect(attributes.md5).toBe(md5Hex(bytes));
      });

      feature('failedUploadLeavesNothing')(
        'stores nothing when the source stream fails',
        async () => {
          await expect(store.put('md5/failing', failingStream(300_000))).rejects.toBeInstanceOf(
            SomError,
          );
          expect(await store.exists('md5/failing')).toBe(false);
          await store.put('md5/failing-old', 'previous');
          await expect(store.put('md5/failing-old', failingStream(300_000))).rejects.toBeInstanceOf(
            SomError,
          );
          expect((await store.getBuffer('md5/failing-old')).toString()).toBe('previous');
        },
      );
    });

    describe('listing', () => {
      const total = 2500;
      const keyOf = (i: number): string =>
        `list/${String(i % 5)}/${String(i).padStart(5, '0')}.dcm`;
      beforeAll(async () => {
        const indexes = Array.from({ length: total }, (_, i) => i);
        for await (const written of mapBounded(indexes, harness.fillConcurrency ?? 16, (i) =>
          store.put(keyOf(i), String(i)),
        )) {
          expect(written.size).toBeGreaterThan(0);
        }
      }, slow * 2);

      it.each([1000, 333])(
        'lists 2,500 keys in pages of %i with no key lost or repeated, in order',
        async (pageSize) => {
          const seen: string[] = [];
          let pageToken: string | undefined;
          let pages = 0;
          do {
            const page = await store.list({
              prefix: 'list/',
              pageSize,
              ...(pageToken ? { pageToken } : {}),
            });
            expect(page.objects.length).toBeLessThanOrEqual(pageSize);
            seen.push(...page.objects.map((o) => o.key));
            pageToken = page.nextPageToken;
            pages++;
          } while (pageToken !== undefined);
          const expected = Array.from({ length: total }, (_, i) => keyOf(i)).sort(
            compareObjectKeys,
          );
          expect(seen).toEqual(expected);
          expect(pages).toBeGreaterThanOrEqual(Math.ceil(total / pageSize));
        },
        slow,
      );

      it('lists under a prefix only', async () => {
        const keys: string[] = [];
        for await (const object of store.listAll('list/3/')) keys.push(object.key);
        expect(keys).toHaveLength(total / 5);
        expect(keys.every((k) => k.startsWith('list/3/'))).toBe(true);
      });

      it('groups keys into common prefixes with a delimiter', async () => {
        const page = await store.list({ prefix: 'list/', delimiter: '/' });
        expect(page.prefixes).toEqual(['list/0/', 'list/1/', 'list/2/', 'list/3/', 'list/4/']);
        expect(page.objects).toEqual([]);
        expect(page.nextPageToken).toBeUndefined();
      });

      it('pages through common prefixes and objects together', async () => {
        await store.put('list-mixed/a', 'a');
        await store.put('list-mixed/b/1', 'b1');
        await store.put('list-mixed/b/2', 'b2');
        await store.put('list-mixed/c', 'c');
        await store.put('list-mixed/d/1', 'd1');
        const entries: string[] = [];
        let pageToken: string | undefined;
        do {
          const page = await store.list({
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
        const page = await store.list({ prefix: 'no-such-prefix/' });
        expect(page).toEqual({ objects: [], prefixes: [] });
      });

      it('gives sizes in listings', async () => {
        const page = await store.list({ prefix: 'list/0/', pageSize: 3 });
        expect(page.objects.map((o) => o.size)).toEqual([1, 1, 2]);
      });
    });

    describe('unusual keys', () => {
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
        await store.put(key, key);
        expect((await store.getBuffer(key)).toString()).toBe(key);
        expect((await store.head(key)).key).toBe(key);
      });

      it('lists every unusual key exactly, in UTF-8 byte order', async () => {
        const listed: string[] = [];
        for await (const object of store.listAll('names/')) listed.push(object.key);
        expect(listed).toEqual([...keys].sort(compareObjectKeys));
      });
    });

    describe('delete', () => {
      it('deletes an object: gone from head, get and listings; the key can be written again', async () => {
        await store.put('delete/one', 'x');
        await store.put('delete/two', 'y');
        await store.delete('delete/one');
        await expectSomError(store.head('delete/one'), 'NotFound');
        await expectSomError(store.get('delete/one'), 'NotFound');
        const listed: string[] = [];
        for await (const object of store.listAll('delete/')) listed.push(object.key);
        expect(listed).toEqual(['delete/two']);
        await store.put('delete/one', 'again');
        expect((await store.getBuffer('delete/one')).toString()).toBe('again');
      });
    });

    describe('create if absent', () => {
      feature('ifNotExists')(
        'creates when absent and answers AlreadyExists when present',
        async () => {
          if (!store.capabilities.ifNotExists) {
            await expectSomError(store.put('once/a', 'x', { ifNotExists: true }), 'Unimplemented');
            return;
          }
          await store.put('once/a', 'first', { ifNotExists: true });
          await expectSomError(
            store.put('once/a', 'second', { ifNotExists: true }),
            'AlreadyExists',
          );
          expect((await store.getBuffer('once/a')).toString()).toBe('first');
        },
      );

      feature('concurrentIfNotExists')(
        'lets exactly one of 8 concurrent writers create an object',
        async () => {
          if (!store.capabilities.ifNotExists)
            return expectSomError(store.put('once/b', 'x', { ifNotExists: true }), 'Unimplemented');
          const writers = Array.from({ length: 8 }, (_, i) =>
            store.put('once/race', `writer ${i}`, { ifNotExists: true }),
          );
          const results = await Promise.allSettled(writers);
          const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
          expect(winners).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect((r.reason as SomError).code).toBe('AlreadyExists');
          }
          expect((await store.getBuffer('once/race')).toString()).toBe(`writer ${winners[0]}`);
        },
        slow,
      );
    });

    feature('copy')('copies an object with its attributes', async () => {
      if (!store.capabilities.copy)
        return expectSomError(store.copy('copy/a', 'copy/b'), 'Unimplemented');
      await store.put('copy/a', 'copied bytes', {
        contentType: 'application/dicom',
        metadata: { k: 'v' },
      });
      const attributes = await store.copy('copy/a', 'copy/b');
      expect(attributes.md5).toBe(md5Hex(Buffer.from('copied bytes')));
      expect((await store.getBuffer('copy/b')).toString()).toBe('copied bytes');
      const head = await store.head('copy/b');
      expect(head.contentType).toBe('application/dicom');
      expect(head.metadata).toEqual({ k: 'v' });
      await expectSomError(store.copy('copy/missing', 'copy/c'), 'NotFound');
    });

    feature('signedUrls')('signs GET and PUT URLs that work without credentials', async () => {
      if (!store.capabilities.signedUrls) {
        return expectSomError(
          store.signedUrl('signed/a', { method: 'GET', expiresInSeconds: 60 }),
          'Unimplemented',
        );
      }
      await store.put('signed/a', 'signed content');
      const getUrl = await store.signedUrl('signed/a', { method: 'GET', expiresInSeconds: 300 });
      const got = await fetch(getUrl);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe('signed content');
      const putUrl = await store.signedUrl('signed/b', {
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
      expect((await store.getBuffer('signed/b')).toString()).toBe('uploaded by url');
    });
  });
}
