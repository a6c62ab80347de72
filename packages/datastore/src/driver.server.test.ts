/**
 * What the conformance suite does not cover, against the Datastore emulator: batching over
 * entity groups, contention, unindexed values, namespaces, endpoints, failures and restarts.
 */
import { MetadataStore, SomError, type KeyPath } from '@som/core';
import { createContainer, memoryObjectStoreAdapter, TOKENS } from '@som/core/di';
import { somErrorOf, startDatastoreEmulator, type DatastoreEmulator } from '@som/testing';
import { DatastoreMetadataDriver, datastoreMetadataStoreAdapter } from '.';
import { emulatorConfig, emulatorDriver } from './__tests__/emulator';

let emulator: DatastoreEmulator;
beforeAll(async () => {
  emulator = await startDatastoreEmulator();
}, 60_000);
afterAll(async () => emulator?.stop());

const image = (c: string, e: string, i: string): KeyPath => [
  'Collection',
  c,
  'Entity',
  e,
  'Image',
  i,
];

describe('writes', () => {
  it('writes records of 60 collections in one putMany (transactions of at most 25 entity groups)', async () => {
    const store = new MetadataStore(emulatorDriver(emulator));
    const records = Array.from({ length: 120 }, (_, i) => ({
      key: image(`c${i % 60}`, 'e', `i${i}`),
      data: { i },
    }));
    await store.putMany(records);
    const got = await store.getMany(records.map((r) => r.key));
    expect(got.map((r) => r?.data.i)).toEqual(records.map((r) => r.data.i));
    await store.deleteMany(records.map((r) => r.key));
    expect((await store.getMany(records.map((r) => r.key))).every((r) => r === undefined)).toBe(
      true,
    );
  }, 30_000);

  it('retries transactions that meet contention in one collection', async () => {
    const store = new MetadataStore(emulatorDriver(emulator));
    const writers = Array.from({ length: 12 }, (_, w) =>
      store.putMany(
        [0, 1, 2].map((i) => ({ key: image('busy', `e${w}`, `i${i}`), data: { w, i } })),
      ),
    );
    const results = await Promise.allSettled(writers);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const found = await store.query({
      kind: 'Image',
      ancestor: ['Collection', 'busy'],
      limit: 100,
    });
    expect(found.records).toHaveLength(36);
  }, 30_000);

  it('retries ancestor queries and lookups that meet contention with commits in their collection', async () => {
    const store = new MetadataStore(emulatorDriver(emulator));
    const entity: KeyPath = ['Collection', 'contended', 'Entity', 'e'];
    // Transactions into the collection while its images are listed and read: the emulator
    // aborts about one read in five of these.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 15; i++)
        await store.putMany(
          [0, 1].map((j) => ({ key: image('contended', 'e', `w${w}-${i}-${j}`), data: { j } })),
        );
    });
    const readers = Array.from({ length: 2 }, async () => {
      for (let i = 0; i < 30; i++) {
        await store.query({ kind: 'Image', ancestor: entity, limit: 500 });
        await store.getMany([image('contended', 'e', 'w0-0-0'), image('contended', 'e', 'x')]);
      }
    });
    const results = await Promise.allSettled([...writers, ...readers]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const all = await store.query({ kind: 'Image', ancestor: entity, limit: 500 });
    expect(all.records).toHaveLength(120);
  }, 60_000);

  it('stores strings over 1,500 bytes unindexed: they round-trip, ranges and orders skip them, filtering by one is refused', async () => {
    const store = new MetadataStore(emulatorDriver(emulator));
    const long = 'L'.repeat(1501);
    await store.put(image('big', 'e', 'long'), { text: long, short: 'S' });
    await store.put(image('big', 'e', 'short'), { text: 'S', short: 'S' });
    expect((await store.get(image('big', 'e', 'long')))?.data.text).toBe(long);
    const byLong = await somErrorOf(
      store.query({ kind: 'Image', filters: [{ field: 'text', op: '=', value: long }] }),
    );
    expect(byLong.code).toBe('InvalidArgument');
    expect(byLong.message).toContain('longer than 1500 bytes');
    const ranged = await store.query({
      kind: 'Image',
      ancestor: ['Collection', 'big'],
      filters: [{ field: 'text', op: '>=', value: '' }],
    });
    expect(ranged.records.map((r) => r.key[5])).toEqual(['short']);
    const ordered = await store.query({
      kind: 'Image',
      ancestor: ['Collection', 'big'],
      orderBy: { field: 'text' },
    });
    expect(ordered.records.map((r) => r.key[5])).toEqual(['short']);
  });
});

describe('places', () => {
  it('keeps namespaces apart and names the driver by project and namespace', async () => {
    const a = emulatorDriver(emulator, { namespace: 'ns-a' });
    const b = emulatorDriver(emulator, { namespace: 'ns-b' });
    expect(a.name).toBe('datastore.google.demo-test/ns-a');
    await new MetadataStore(a).put(['Collection', 'shared'], { which: 'a' });
    expect(await new MetadataStore(b).get(['Collection', 'shared'])).toBeUndefined();
    expect((await new MetadataStore(a).get(['Collection', 'shared']))?.data).toEqual({
      which: 'a',
    });
  });

  it('reaches the emulator by emulatorHost and by DATASTORE_EMULATOR_HOST', async () => {
    const byHost = new MetadataStore(
      new DatastoreMetadataDriver({
        ...emulatorConfig(emulator, { apiEndpoint: undefined }),
        emulatorHost: emulator.host,
      }),
    );
    await byHost.put(['Collection', 'h'], { ok: true });
    expect((await byHost.get(['Collection', 'h']))?.data).toEqual({ ok: true });
    const previous = process.env.DATASTORE_EMULATOR_HOST;
    process.env.DATASTORE_EMULATOR_HOST = emulator.host;
    try {
      const byEnv = new MetadataStore(
        new DatastoreMetadataDriver({ projectId: emulator.projectId, namespace: 'env-ns' }),
      );
      await byEnv.put(['Collection', 'h'], { ok: 'env' });
      expect((await byEnv.get(['Collection', 'h']))?.data).toEqual({ ok: 'env' });
    } finally {
      if (previous === undefined) delete process.env.DATASTORE_EMULATOR_HOST;
      else process.env.DATASTORE_EMULATOR_HOST = previous;
    }
  });

  it('is chosen by type "datastore" in a container', async () => {
    const config = {
      objectStore: { type: 'memory' },
      metadataStore: { type: 'datastore', ...emulatorConfig(emulator) },
    };
    const client = createContainer(config, [
      memoryObjectStoreAdapter,
      datastoreMetadataStoreAdapter,
    ]).get(TOKENS.Client);
    await client.createCollection({ uid: 'IRB41449' });
    expect((await client.getCollection('IRB41449')).uid).toBe('IRB41449');
    expect(() =>
      createContainer({ ...config, metadataStore: { type: 'datastore', namespace: '__bad__' } }, [
        memoryObjectStoreAdapter,
        datastoreMetadataStoreAdapter,
      ]),
    ).toThrow(/^metadata store datastore: "namespace" must be .*, not "__bad__"$/);
  });
});

describe('failures', () => {
  it('explains a missing composite index', async () => {
    const driver = emulatorDriver(emulator);
    const missing = Object.assign(
      new Error('9 FAILED_PRECONDITION: no matching index found. recommended index is: ...'),
      { code: 9 },
    );
    jest.spyOn(driver.datastore, 'runQuery').mockRejectedValueOnce(missing as never);
    const err = await somErrorOf(
      new MetadataStore(driver).query({
        kind: 'Image',
        ancestor: ['Collection', 'c'],
        orderBy: { field: 'Rows' },
      }),
    );
    expect(err.code).toBe('FailedPrecondition');
    expect(err.message).toContain('no matching index found');
    expect(err.message).toContain('som-datastore-indexes');
  });

  it('fails within its timeout while the server is down, and works again once it is back', async () => {
    const own = await startDatastoreEmulator();
    try {
      const store = new MetadataStore(emulatorDriver(own, { timeoutMs: 1500, maxRetries: 1 }));
      await store.put(['Collection', 'before'], { n: 1 });
      await own.stop();
      const started = Date.now();
      expect((await somErrorOf(store.put(['Collection', 'during'], { n: 2 }))).code).toBe(
        'Unavailable',
      );
      expect(
        (
          await somErrorOf(
            store.putMany([
              { key: image('d', 'e', 'a'), data: {} },
              { key: image('d', 'e', 'b'), data: {} },
            ]),
          )
        ).code,
      ).toBe('Unavailable');
      expect((await somErrorOf(store.get(['Collection', 'before']))).code).toBe('Unavailable');
      expect((await somErrorOf(store.query({ kind: 'Collection', limit: 5 }))).code).toBe(
        'Unavailable',
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      await own.restart();
      const back = Date.now();
      for (;;) {
        try {
          await store.put(['Collection', 'after'], { n: 3 });
          break;
        } catch (err) {
          expect((err as SomError).code).toBe('Unavailable');
          expect(Date.now() - back).toBeLessThan(8000); // reconnects within gRPC's capped backoff
        }
      }
      expect((await store.get(['Collection', 'after']))?.data).toEqual({ n: 3 });
    } finally {
      await own.stop();
    }
  }, 60_000);
});
