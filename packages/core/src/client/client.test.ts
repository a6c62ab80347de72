import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { md5Hex } from '../md5';
import { MemoryMetadataDriver } from '../metadata-store/memory';
import { collectionKey, entityKey, imageKey, imageObjectKey, seriesKey, studyKey } from '../names';
import type { ObjectStoreDriver } from '../object-store/driver';
import { MemoryObjectDriver } from '../object-store/memory';
import { Client } from './client';

const collection = 'IRB41449';

function makeClient(): Client {
  return new Client({
    objectStore: new MemoryObjectDriver(),
    metadataStore: new MemoryMetadataDriver(),
  });
}

/** A memory object store that remembers the MD5 given with each put. */
function recordingPuts(): { objects: MemoryObjectDriver; puts: (string | undefined)[] } {
  const objects = new MemoryObjectDriver();
  const puts: (string | undefined)[] = [];
  const put = objects.put.bind(objects);
  objects.put = (key, body, options) => {
    puts.push(options.md5);
    return put(key, body, options);
  };
  return { objects, puts };
}

/** The memory object store, with the durability point a test gives it. */
type FlushingMemoryDriver = MemoryObjectDriver & Pick<ObjectStoreDriver, 'flush'>;

/**
 * A memory object store that defers durability (capability `groupCommit`) and remembers what
 * each put asked and which keys are durable: made so by a put `now` or by a flush.
 */
function deferringStore(): {
  objects: FlushingMemoryDriver;
  durable: Set<string>;
  asked: string[];
  flushes: number[];
} {
  const objects: FlushingMemoryDriver = new MemoryObjectDriver();
  objects.capabilities.groupCommit = true;
  const durable = new Set<string>();
  const waiting = new Set<string>();
  const asked: string[] = [];
  const flushes: number[] = [];
  const put = objects.put.bind(objects);
  objects.put = async (key, body, options) => {
    const attributes = await put(key, body, options);
    asked.push(options.durable ?? 'now');
    (options.durable === 'deferred' ? waiting : durable).add(key);
    return attributes;
  };
  objects.flush = async () => {
    flushes.push(waiting.size);
    for (const key of waiting) durable.add(key);
    waiting.clear();
  };
  return { objects, durable, asked, flushes };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('Client', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'som-client-'));
    await writeFile(join(dir, 'image1.dcm'), 'first image');
    await writeFile(join(dir, 'image 2.dcm'), 'second image');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is named by its object store', () => {
    expect(String(makeClient())).toBe('memory');
  });

  it('creates, gets and lists collections; updating keeps created', async () => {
    let now = new Date('2020-01-01T00:00:00Z');
    const client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
      now: () => now,
    });
    const first = await client.createCollection({
      uid: collection,
      metadata: { title: 'Cookies' },
    });
    expect(first.data).toEqual({
      uid: collection,
      title: 'Cookies',
      created: '2020-01-01T00:00:00.000Z',
      updated: '2020-01-01T00:00:00.000Z',
    });
    now = new Date('2021-01-01T00:00:00Z');
    await client.createCollection({ uid: collection, metadata: { irb: 'approved' } });
    const got = await client.getCollection(collection);
    expect(got.data).toMatchObject({
      title: 'Cookies',
      irb: 'approved',
      created: '2020-01-01T00:00:00.000Z',
      updated: '2021-01-01T00:00:00.000Z',
    });
    const all: string[] = [];
    for await (const c of client.listCollections()) all.push(c.uid);
    expect(all).toEqual([collection]);
  });

  it('refuses reserved metadata fields and entities of unknown collections', async () => {
    const client = makeClient();
    await expect(
      client.createCollection({ uid: 'c', metadata: { md5: 'x' } }),
    ).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(client.createEntity({ collection: 'nope', uid: 'e' })).rejects.toMatchObject({
      code: 'NotFound',
      message: 'collection nope not found',
    });
    await expect(client.getCollection('a/b')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('uploads a dataset from paths, buffers and streams: objects with records, searchable', async () => {
    const client = makeClient();
    const result = await client.uploadDataset({
      collection,
      uid: 'cookie-47',
      metadata: { source_id: 'cookieTumorDatabase', Modality: 'cookie' },
      images: [
        join(dir, 'image1.dcm'),
        join(dir, 'image 2.dcm'),
        { uid: 'buffer.dcm', bytes: Buffer.from('third'), metadata: { Modality: 'CT', Rows: 512 } },
        {
          uid: 'stream.dcm',
          stream: Readable.from([Buffer.from('fourth')]),
          metadata: { Modality: 'MR' },
        },
      ],
      imagesMetadata: { 'image1.dcm': { Modality: 'CT', Rows: 256 } },
    });
    expect(result.failed).toEqual([]);
    expect(result.counts).toEqual({ uploaded: 4, unchanged: 0, recorded: 0, failed: 0 });
    const ref = { collection, entity: 'cookie-47', image: 'image1.dcm' };
    expect(await readAll(await client.readImage(ref))).toBe('first image');
    expect(await readAll(await client.readImage(ref, { start: 6, end: 10 }))).toBe('image');
    const record = await client.getImage(ref);
    expect(record.data).toMatchObject({
      objectName: 'Collection/IRB41449/Entity/cookie-47/Images/image1.dcm',
      size: 11,
      md5: createHash('md5').update('first image').digest('hex'),
      contentType: 'application/dicom',
      Modality: 'CT',
      Rows: 256,
    });
    const images: string[] = [];
    for await (const image of client.listImages({ collection, entity: 'cookie-47' }))
      images.push(image.uid);
    expect(images.sort()).toEqual(['buffer.dcm', 'image1.dcm', 'image_2.dcm', 'stream.dcm']);
    const ct = await client.search({ filters: [{ field: 'Modality', op: '=', value: 'CT' }] });
    expect(ct.records.map((r) => r.uid).sort()).toEqual(['buffer.dcm', 'image1.dcm']);
    const big = await client.search({
      collection,
      filters: [{ field: 'Rows', op: '>', value: 300 }],
    });
    expect(big.records.map((r) => r.uid)).toEqual(['buffer.dcm']);
    const entities = await client.search({
      kind: 'Entity',
      filters: [{ field: 'Modality', op: '=', value: 'cookie' }],
    });
    expect(entities.records.map((r) => [r.collection, r.uid])).toEqual([[collection, 'cookie-47']]);
  });

  it('skips unchanged bytes on re-upload, replaces changed ones, and rewrites a lost record', async () => {
    const client = makeClient();
    const images = (second: string): { uid: string; bytes: Buffer }[] => [
      { uid: 'a', bytes: Buffer.from('A') },
      { uid: 'b', bytes: Buffer.from(second) },
    ];
    await client.uploadDataset({ collection, uid: 'e', images: images('B') });
    const before = await client.getImage({ collection, entity: 'e', image: 'a' });
    await client.records.delete(imageKey({ collection, entity: 'e', image: 'a' }));
    const again = await client.uploadDataset({ collection, uid: 'e', images: images('B2') });
    expect(again.counts).toEqual({ uploaded: 1, unchanged: 0, recorded: 1, failed: 0 });
    expect(await readAll(await client.readImage({ collection, entity: 'e', image: 'b' }))).toBe(
      'B2',
    );
    expect((await client.getImage({ collection, entity: 'e', image: 'a' })).data.md5).toBe(
      before.data.md5,
    );
    const third = await client.uploadDataset({ collection, uid: 'e', images: images('B2') });
    expect(third.counts).toEqual({ uploaded: 0, unchanged: 2, recorded: 0, failed: 0 });
  });

  it('asks the object store for no stored image when the entity held none before the upload, and for each one after', async () => {
    const objects = new MemoryObjectDriver();
    const heads: string[] = [];
    const head = objects.head.bind(objects);
    objects.head = (key) => {
      heads.push(key);
      return head(key);
    };
    const client = new Client({ objectStore: objects, metadataStore: new MemoryMetadataDriver() });
    const images = [
      { uid: 'a', bytes: Buffer.from('A') },
      { uid: 'b', bytes: Buffer.from('B') },
    ];
    const first = await client.uploadDataset({ collection, uid: 'e', images });
    expect(first.counts).toEqual({ uploaded: 2, unchanged: 0, recorded: 0, failed: 0 });
    expect(heads).toEqual([]);
    const again = await client.uploadDataset({ collection, uid: 'e', images });
    expect(again.counts).toEqual({ uploaded: 0, unchanged: 2, recorded: 0, failed: 0 });
    expect(heads.sort()).toEqual([
      imageObjectKey({ collection, entity: 'e', image: 'a' }),
      imageObjectKey({ collection, entity: 'e', image: 'b' }),
    ]);
  });

  it('uses an md5 the caller gives instead of hashing, and the store still checks it', async () => {
    const client = makeClient();
    const md5 = createHash('md5').update('A').digest('hex');
    const first = await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'a', bytes: Buffer.from('A'), md5 }],
    });
    expect(first.counts).toEqual({ uploaded: 1, unchanged: 0, recorded: 0, failed: 0 });
    expect((await client.getImage({ collection, entity: 'e', image: 'a' })).data.md5).toBe(md5);
    const same = await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'a', bytes: Buffer.from('A'), md5 }],
    });
    expect(same.counts.unchanged).toBe(1);
    const wrong = await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'b', bytes: Buffer.from('B'), md5 }],
    });
    expect(wrong.counts.failed).toBe(1);
    expect(wrong.failed[0]?.error?.code).toBe('InvalidArgument');
    await expect(client.getImage({ collection, entity: 'e', image: 'b' })).rejects.toThrow(
      /not found/,
    );
  });

  it('hashes a new image only in the store, and an image already stored to compare it', async () => {
    const { objects, puts } = recordingPuts();
    const client = new Client({ objectStore: objects, metadataStore: new MemoryMetadataDriver() });
    const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
    const upload = (bytes: string): Promise<unknown> =>
      client.uploadDataset({
        collection,
        uid: 'e',
        images: [{ uid: 'a', bytes: Buffer.from(bytes) }],
      });
    const record = async (): Promise<unknown> =>
      (await client.getImage({ collection, entity: 'e', image: 'a' })).data.md5;

    await upload('A');
    expect(puts).toEqual([undefined]); // new: no md5 computed before the write
    expect(await record()).toBe(md5('A')); // the store's
    await upload('A2');
    expect(puts).toEqual([undefined, md5('A2')]); // changed: hashed to compare, then checked by the store
    expect(await record()).toBe(md5('A2'));
    await upload('A2');
    expect(puts).toHaveLength(2); // unchanged: not written
  });

  it('sends an MD5 with every put, computed when not given, to a store that wants it from the caller', async () => {
    const { objects, puts } = recordingPuts();
    objects.capabilities.md5FromCaller = true;
    const client = new Client({ objectStore: objects, metadataStore: new MemoryMetadataDriver() });
    const ref = { collection, entity: 'e' };
    expect(await client.md5Need(ref)).toBe('required');
    await client.uploadDataset({
      collection,
      uid: 'e',
      images: [
        { uid: 'bytes', bytes: Buffer.from('B') },
        join(dir, 'image1.dcm'),
        { uid: 'stream', stream: Readable.from([Buffer.from('S')]) }, // read once: cannot be hashed first
      ],
      concurrency: 1,
    });
    expect(puts).toEqual([md5Hex('B'), md5Hex('first image'), undefined]);
  });

  it('tells whether an upload into an entity needs MD5s: only once objects are stored there', async () => {
    const client = makeClient();
    const ref = { collection, entity: 'e' };
    expect(await client.md5Need(ref)).toBe('unneeded');
    await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'a', bytes: Buffer.from('A') }],
    });
    expect(await client.md5Need(ref)).toBe('useful');
    expect(await client.md5Need({ collection, entity: 'other' })).toBe('unneeded');
  });

  it('names a file that cannot be read, whether or not an object is stored for it', async () => {
    const client = makeClient();
    const missing = join(dir, 'gone.dcm');
    const absent = await client.uploadDataset({ collection, uid: 'e', images: [missing] });
    expect(absent.failed[0]?.error).toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining(`cannot read ${missing}`),
    });
    await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'gone.dcm', bytes: Buffer.from('stored before') }],
    });
    const present = await client.uploadDataset({ collection, uid: 'e', images: [missing] });
    expect(present.failed[0]?.error).toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining(`cannot read ${missing}`),
    });
  });

  it('writes the records of stored images within a second, also while the next image is slow to come', async () => {
    const client = makeClient();
    const reported: string[] = [];
    async function* stalling(): AsyncGenerator<{ uid: string; bytes: Buffer }> {
      yield { uid: 'first', bytes: Buffer.from('1') };
      yield { uid: 'second', bytes: Buffer.from('2') };
      await new Promise((r) => setTimeout(r, 1500)); // nothing new arrives meanwhile
      expect(reported).toEqual(['first', 'second']); // not only every 250 images
      yield { uid: 'third', bytes: Buffer.from('3') };
    }
    const result = await client.uploadDataset({
      collection,
      uid: 'stalling',
      images: stalling(),
      concurrency: 1,
      onImage: (r) => reported.push(r.image.image),
    });
    expect(result.counts.uploaded).toBe(3);
    expect(reported).toEqual(['first', 'second', 'third']);
  });

  it('reports every failed image with its reason and uploads the rest', async () => {
    const client = makeClient();
    const seen: string[] = [];
    const images = [
      join(dir, 'image1.dcm'),
      join(dir, 'missing.dcm'),
      { uid: 'bad/uid', bytes: Buffer.from('x') },
      { bytes: Buffer.from('no uid') },
    ];
    const bytesDone: unknown[] = [];
    const result = await client.uploadDataset({
      collection,
      uid: 'e',
      images,
      onImage: (r) => seen.push(r.outcome),
      // Every image's bytes are let go, failed or not, each once, before any record batch.
      onBytesDone: (source) => {
        expect(seen).toEqual(seen.filter((outcome) => outcome === 'failed'));
        bytesDone.push(source);
      },
    });
    expect(bytesDone).toHaveLength(images.length);
    expect(new Set(bytesDone)).toEqual(new Set(images));
    expect(result.counts).toEqual({ uploaded: 1, unchanged: 0, recorded: 0, failed: 3 });
    expect(result.failed.map((f) => [f.source, f.error?.code])).toEqual(
      expect.arrayContaining([
        [join(dir, 'missing.dcm'), 'NotFound'],
        ['bad/uid', 'InvalidArgument'],
        ['?', 'InvalidArgument'],
      ]),
    );
    expect(result.failed.every((f) => (f.error?.message ?? '').length > 10)).toBe(true);
    expect(seen.sort()).toEqual(['failed', 'failed', 'failed', 'uploaded']);
  });

  it('marks the images of a failed record batch as failed, never as uploaded', async () => {
    const metadata = new MemoryMetadataDriver();
    const client = new Client({ objectStore: new MemoryObjectDriver(), metadataStore: metadata });
    await client.createCollection({ uid: collection });
    metadata.putMany = async () => {
      throw new Error('database is locked');
    };
    const result = await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'a', bytes: Buffer.from('A') }],
    });
    expect(result.counts.failed).toBe(1);
    expect(result.failed[0]?.error?.message).toContain('database is locked');
    const report = await client.verify();
    expect(report.problems.map((p) => p.type)).toEqual(['orphan-object']);
  });

  it('defers the durability of uploaded objects and makes them durable before each batch of records names them', async () => {
    const { objects, durable, asked, flushes } = deferringStore();
    const metadata = new MemoryMetadataDriver();
    const putMany = metadata.putMany.bind(metadata);
    const named: string[] = [];
    metadata.putMany = async (records) => {
      for (const { data } of records) {
        if (typeof data.objectName !== 'string') continue;
        named.push(data.objectName);
        expect(durable.has(data.objectName)).toBe(true);
      }
      return putMany(records);
    };
    const client = new Client({ objectStore: objects, metadataStore: metadata });
    const images = Array.from({ length: 600 }, (_, i) => ({
      uid: `i${i}`,
      bytes: Buffer.from(`image ${i}`),
    }));
    const result = await client.uploadDataset({ collection, uid: 'e', images });
    expect(result.counts.uploaded).toBe(600);
    expect(named).toHaveLength(600);
    expect(new Set(asked)).toEqual(new Set(['deferred']));
    expect(flushes.length).toBeGreaterThanOrEqual(3); // a batch of at most 250 records per flush
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(600);
    // A single image is durable before its record, without a flush.
    await client.uploadImage({
      collection,
      entity: 'e',
      image: { uid: 'one', bytes: Buffer.from('1') },
    });
    expect(asked.at(-1)).toBe('now');
  });

  it('writes no record of a batch whose objects could not be made durable, and fails its images', async () => {
    const { objects } = deferringStore();
    objects.flush = async () => {
      throw Object.assign(new Error('fsync failed: EIO'), { code: 'EIO' });
    };
    const client = new Client({ objectStore: objects, metadataStore: new MemoryMetadataDriver() });
    const result = await client.uploadDataset({
      collection,
      uid: 'e',
      images: [
        { uid: 'a', bytes: Buffer.from('A') },
        { uid: 'b', bytes: Buffer.from('B') },
      ],
    });
    expect(result.counts).toEqual({ uploaded: 0, unchanged: 0, recorded: 0, failed: 2 });
    expect(result.failed[0]?.error?.message).toContain('making the objects durable');
    expect(result.failed[0]?.error?.message).toContain('EIO');
    const images = [];
    for await (const image of client.listImages({ collection, entity: 'e' })) images.push(image);
    expect(images).toEqual([]);
  });

  it('searches all pages with searchAll, page after page', async () => {
    const client = makeClient();
    const images = Array.from({ length: 5 }, (_, i) => ({
      uid: `img${i}`,
      bytes: Buffer.from(`image ${i}`),
      metadata: { Modality: i % 2 === 0 ? 'CT' : 'MR' },
    }));
    await client.uploadDataset({ collection, uid: 'e1', images });
    const filters = [{ field: 'Modality', op: '=' as const, value: 'CT' }];
    const first = await client.search({ collection, filters, limit: 2 });
    expect(first.records).toHaveLength(2);
    expect(first.nextPageToken).toBeDefined();
    const all: string[] = [];
    for await (const record of client.searchAll({ collection, filters, limit: 2 }))
      all.push(record.uid);
    expect(all.sort()).toEqual(['img0', 'img2', 'img4']);
  });

  it('deletes an entity: objects and records gone, others untouched', async () => {
    const client = makeClient();
    await client.uploadDataset({
      collection,
      uid: 'gone',
      images: [{ uid: 'a', bytes: Buffer.from('A') }],
    });
    await client.uploadDataset({
      collection,
      uid: 'kept',
      images: [{ uid: 'a', bytes: Buffer.from('A') }],
    });
    await client.deleteEntity({ collection, entity: 'gone' });
    await expect(client.getEntity({ collection, entity: 'gone' })).rejects.toMatchObject({
      code: 'NotFound',
    });
    expect(
      await client.objects.exists(imageObjectKey({ collection, entity: 'gone', image: 'a' })),
    ).toBe(false);
    expect(
      await client.objects.exists(imageObjectKey({ collection, entity: 'kept', image: 'a' })),
    ).toBe(true);
    expect((await client.verify()).problems).toEqual([]);
  });

  it('verifies: finds and repairs orphan objects, missing objects, mismatches and missing parents', async () => {
    const client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
      imageFields: async (bytes) => ({ Modality: (await readAll(bytes)).slice(0, 2) }),
    });
    await client.uploadDataset({
      collection,
      uid: 'e',
      images: ['a', 'b', 'c'].map((uid) => ({ uid, bytes: Buffer.from(`${uid} bytes`) })),
    });
    const ref = (image: string): { collection: string; entity: string; image: string } => ({
      collection,
      entity: 'e',
      image,
    });
    await client.records.delete(imageKey(ref('a'))); // crash between object and record
    await client.objects.delete(imageObjectKey(ref('b'))); // object lost
    await client.objects.put(imageObjectKey(ref('c')), 'c changed'); // record stale
    await client.objects.put(
      imageObjectKey({ collection: 'Other', entity: 'x', image: 'y' }),
      'CT orphan',
    );
    const found = await client.verify();
    expect(found.problems.map((p) => [p.type, p.repaired]).sort()).toEqual(
      [
        ['missing-object', false],
        ['missing-parent', false],
        ['missing-parent', false],
        ['mismatch', false],
        ['orphan-object', false],
        ['orphan-object', false],
      ].sort(),
    );
    expect(found.problems).toHaveLength(6);
    const entitiesRepaired: string[] = [];
    const repaired = await client.verify({
      repair: true,
      onEntityRepaired: async ({ collection: c, entity }) => {
        entitiesRepaired.push(`${c}/${entity}`);
      },
    });
    expect(repaired.problems.every((p) => p.repaired)).toBe(true);
    expect(entitiesRepaired.sort()).toEqual([`${collection}/e`, 'Other/x']);
    const entitiesRepairedAgain: string[] = [];
    const clean = await client.verify({
      repair: true,
      onEntityRepaired: async ({ entity }) => {
        entitiesRepairedAgain.push(entity);
      },
    });
    expect(clean.problems).toEqual([]);
    expect(entitiesRepairedAgain).toEqual([]);
    expect((await client.getImage(ref('a'))).data).toMatchObject({ Modality: 'a ', size: 7 });
    expect((await client.getImage(ref('c'))).data.size).toBe(9);
    await expect(client.getImage(ref('b'))).rejects.toMatchObject({ code: 'NotFound' });
    expect(
      (await client.getImage({ collection: 'Other', entity: 'x', image: 'y' })).data.Modality,
    ).toBe('CT');
  });

  it('rebuilds lost records with the user fields kept with their objects', async () => {
    const metadata = new MemoryMetadataDriver();
    const objects = new MemoryObjectDriver();
    const imageFields = async (): Promise<{ Modality: string }> => ({ Modality: 'CT' });
    const client = new Client({ objectStore: objects, metadataStore: metadata, imageFields });
    await client.uploadDataset({
      collection,
      uid: 'e',
      metadata: { Arm: 'B', Visits: 3 },
      keepMetadata: true,
      images: [
        {
          uid: 'a',
          bytes: Buffer.from('a'),
          metadata: { Modality: 'CT' },
          userMetadata: { Site: 'X', Cohort: 7 },
        },
      ],
    });
    const before = (await client.getImage({ collection, entity: 'e', image: 'a' })).data;
    expect(before).toMatchObject({ Modality: 'CT', Site: 'X', Cohort: 7 });
    // The same objects with an empty metadata store: every record is lost.
    const rebuilt = new Client({
      objectStore: objects,
      metadataStore: new MemoryMetadataDriver(),
      imageFields,
    });
    await rebuilt.verify({ repair: true });
    const { created: _c, updated: _u, ...fields } = before;
    expect((await rebuilt.getImage({ collection, entity: 'e', image: 'a' })).data).toMatchObject(
      fields,
    );
    expect((await rebuilt.getEntity({ collection, entity: 'e' })).data).toMatchObject({
      Arm: 'B',
      Visits: 3,
    });
    // Other fields, same bytes: the object is written again, to keep the new ones.
    const same = await client.uploadDataset({
      collection,
      uid: 'e',
      metadata: { Arm: 'B', Visits: 3 },
      keepMetadata: true,
      images: [{ uid: 'a', bytes: Buffer.from('a'), userMetadata: { Cohort: 7, Site: 'X' } }],
    });
    expect(same.counts.uploaded).toBe(0);
    const again = await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'a', bytes: Buffer.from('a'), userMetadata: { Site: 'Y' } }],
    });
    expect(again.counts.uploaded).toBe(1);
    // Fields that are not kept do not make the object change.
    const other = await client.uploadDataset({
      collection,
      uid: 'e',
      metadata: { Arm: 'C' },
      images: [{ uid: 'a', bytes: Buffer.from('a'), userMetadata: { Site: 'Y' } }],
      imagesMetadata: { a: { Cohort: 8 } },
    });
    expect(other.counts).toMatchObject({ uploaded: 0, recorded: 1 });
    await expect(
      client.uploadDataset({
        collection,
        uid: 'e',
        images: [{ uid: 'a', bytes: Buffer.from('a'), userMetadata: { Note: 'x'.repeat(2000) } }],
      }),
    ).resolves.toMatchObject({ counts: { failed: 1 } });
  });

  it('repairs an entity whose objects are all lost by removing it', async () => {
    const client = makeClient();
    for (const uid of ['gone', 'kept'])
      await client.uploadDataset({
        collection,
        uid,
        images: ['a', 'b'].map((image) => ({ uid: image, bytes: Buffer.from(image) })),
      });
    for (const image of ['a', 'b'])
      await client.objects.delete(imageObjectKey({ collection, entity: 'gone', image }));
    await client.objects.delete(imageObjectKey({ collection, entity: 'kept', image: 'a' }));
    const repaired = await client.verify({ repair: true });
    expect(repaired.problems.map((p) => p.type)).toEqual([
      'missing-object',
      'missing-object',
      'missing-object',
    ]);
    await expect(client.getEntity({ collection, entity: 'gone' })).rejects.toMatchObject({
      code: 'NotFound',
    });
    await expect(client.getEntity({ collection, entity: 'kept' })).resolves.toBeDefined();
    expect((await client.verify()).problems).toEqual([]);
  });

  it('deletes a collection: its objects, then every record under it, then its own', async () => {
    const client = makeClient();
    for (const c of [collection, 'other'])
      await client.uploadDataset({
        collection: c,
        uid: 'e',
        images: [{ uid: 'a', bytes: Buffer.from('A') }],
      });
    const ref = { collection, entity: 'e' };
    await client.records.put(studyKey(ref, '1.2'), { uid: '1.2' });
    await client.records.put(seriesKey(ref, '1.2.3'), { uid: '1.2.3' });
    await client.deleteCollection(collection);
    for (const key of [
      collectionKey(collection),
      entityKey(ref),
      studyKey(ref, '1.2'),
      seriesKey(ref, '1.2.3'),
    ])
      expect(await client.records.get(key)).toBeUndefined();
    expect(await client.objects.exists(imageObjectKey({ ...ref, image: 'a' }))).toBe(false);
    expect(
      await client.objects.exists(imageObjectKey({ collection: 'other', entity: 'e', image: 'a' })),
    ).toBe(true);
    await expect(client.deleteCollection(collection)).rejects.toMatchObject({ code: 'NotFound' });
    expect((await client.verify()).problems).toEqual([]);
  });

  it('finds corrupt bytes with a deep verify', async () => {
    const objects = new MemoryObjectDriver();
    const client = new Client({ objectStore: objects, metadataStore: new MemoryMetadataDriver() });
    await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'a', bytes: Buffer.from('good') }],
    });
    const head = objects.head.bind(objects);
    objects.head = async (key) => ({ ...(await head(key)), md5: '0'.repeat(32) }); // bit rot: stored md5 disagrees
    const shallow = await client.verify();
    expect(shallow.problems.map((p) => p.type)).toEqual(['mismatch']);
    const deep = await client.verify({ deep: true });
    expect(deep.problems.map((p) => p.type)).toEqual(['mismatch', 'corrupt']);
  });

  it('stamps the records that verify repairs with the injected clock', async () => {
    const now = new Date('2030-05-06T07:08:09Z');
    const client = new Client({
      objectStore: new MemoryObjectDriver(),
      metadataStore: new MemoryMetadataDriver(),
      now: () => now,
    });
    const ref = { collection, entity: 'e', image: 'a' };
    await client.objects.put(imageObjectKey(ref), 'orphan');
    await client.objects.put(imageObjectKey({ ...ref, image: 'b' }), 'b');
    await client.uploadDataset({
      collection,
      uid: 'e',
      images: [{ uid: 'b', bytes: Buffer.from('b') }],
    });
    await client.objects.put(imageObjectKey({ ...ref, image: 'b' }), 'b changed');
    await client.verify({ repair: true });
    expect((await client.getImage(ref)).data).toMatchObject({
      created: now.toISOString(),
      updated: now.toISOString(),
    });
    expect((await client.getImage({ ...ref, image: 'b' })).data.updated).toBe(now.toISOString());
  });
});
