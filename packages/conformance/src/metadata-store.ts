/**
 * The MetadataStore conformance suite: every metadata store driver runs it in one line,
 * `runMetadataStoreConformance(harness)`, inside a jest test file. Expected results are
 * computed with the reference semantics of `@som/core` (the in-memory driver's).
 */
import {
  MetadataStore,
  compareForQuery,
  recordMatches,
  type Filter,
  type KeyPath,
  type MetadataStoreDriver,
  type Query,
  type RecordData,
  type StoredRecord,
} from '@som/core';
import type { MetadataStoreFeature, MetadataStoreHarness } from './harness';
import { expectSomError } from '@som/testing';
import { featureTest } from './support';

const image = (c: string, e: string, i: string): KeyPath => [
  'Collection',
  c,
  'Entity',
  e,
  'Image',
  i,
];
const entity = (c: string, e: string): KeyPath => ['Collection', c, 'Entity', e];

/** Read every page of `query`, checking each page's size. */
async function allPages(store: MetadataStore, query: Query): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.query({ ...query, ...(pageToken ? { pageToken } : {}) });
    if (query.limit !== undefined) expect(page.records.length).toBeLessThanOrEqual(query.limit);
    records.push(...page.records);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return records;
}

const keysOf = (records: readonly StoredRecord[]): string[] => records.map((r) => r.key.join('/'));

/** What the reference semantics return for `query` over `records`, in order. */
function expected(records: readonly StoredRecord[], query: Query): string[] {
  return keysOf(records.filter((r) => recordMatches(r, query)).sort(compareForQuery(query)));
}

/** Register the MetadataStore conformance suite for `harness` (call it at the top of a test file). */
export function runMetadataStoreConformance(harness: MetadataStoreHarness): void {
  const slow = harness.slowTestTimeoutMs ?? 120_000;
  const feature = (name: MetadataStoreFeature): ReturnType<typeof featureTest> =>
    featureTest(harness.name, name, harness.unsupported?.[name]);

  describe(`MetadataStore conformance: ${harness.name}`, () => {
    let driver: MetadataStoreDriver;
    let store: MetadataStore;

    beforeAll(async () => {
      driver = await harness.makeDriver();
      store = new MetadataStore(driver);
    }, slow);

    afterAll(async () => {
      await store?.close();
      await harness.teardown?.();
    }, slow);

    describe('records', () => {
      it('round-trips every value type', async () => {
        const data: RecordData = {
          text: 'Hello',
          empty: '',
          integer: 42,
          negative: -7,
          float: 2.5,
          big: 2 ** 52,
          yes: true,
          no: false,
          nothing: null,
          list: ['CT', 'MR', 3, false],
          nested: { a: 1, b: ['x', { c: null }] },
          unicode: 'M\u00fcller^J\u00fcrgen \u65e5\u672c \u{1F600}',
        };
        await store.put(image('rt', 'e', 'all-types'), data);
        const record = await store.get(image('rt', 'e', 'all-types'));
        expect(record?.key).toEqual(image('rt', 'e', 'all-types'));
        expect(record?.data).toEqual(data);
      });

      feature('largeValues')('round-trips a 200 KB string and a 2,000-element list', async () => {
        const data: RecordData = {
          large: 'x\u00e9'.repeat(100_000),
          many: Array.from({ length: 2000 }, (_, i) => i),
        };
        await store.put(image('rt', 'e', 'large'), data);
        expect((await store.get(image('rt', 'e', 'large')))?.data).toEqual(data);
      });

      it('replaces a record on put, and returns undefined for a missing one', async () => {
        await store.put(entity('rt', 'replace'), { a: 1, b: 2 });
        await store.put(entity('rt', 'replace'), { c: 3 });
        expect((await store.get(entity('rt', 'replace')))?.data).toEqual({ c: 3 });
        expect(await store.get(entity('rt', 'missing'))).toBeUndefined();
      });

      it('gets many records in order, undefined where missing', async () => {
        await store.put(image('rt', 'many', 'a'), { n: 1 });
        await store.put(image('rt', 'many', 'c'), { n: 3 });
        const got = await store.getMany([
          image('rt', 'many', 'c'),
          image('rt', 'many', 'b'),
          image('rt', 'many', 'a'),
        ]);
        expect(got.map((r) => r?.data.n)).toEqual([3, undefined, 1]);
      });

      it('deletes records, with no error for missing ones', async () => {
        await store.put(image('rt', 'del', 'a'), { n: 1 });
        await store.put(image('rt', 'del', 'b'), { n: 2 });
        await store.put(image('rt', 'del', 'c'), { n: 3 });
        await store.delete(image('rt', 'del', 'a'));
        await store.delete(image('rt', 'del', 'a'));
        await store.deleteMany([image('rt', 'del', 'b'), image('rt', 'del', 'zzz')]);
        const left = await store.getMany([
          image('rt', 'del', 'a'),
          image('rt', 'del', 'b'),
          image('rt', 'del', 'c'),
        ]);
        expect(left.map((r) => r?.data.n)).toEqual([undefined, undefined, 3]);
      });

      it('keeps the same name apart under different parents and kinds', async () => {
        await store.put(['Collection', 'rt-same'], { which: 'collection' });
        await store.put(entity('rt-same', 'x'), { which: 'entity' });
        await store.put(image('rt-same', 'x', 'x'), { which: 'image x/x' });
        await store.put(image('rt-same', 'y', 'x'), { which: 'image y/x' });
        const got = await store.getMany([
          ['Collection', 'rt-same'],
          entity('rt-same', 'x'),
          image('rt-same', 'x', 'x'),
          image('rt-same', 'y', 'x'),
        ]);
        expect(got.map((r) => r?.data.which)).toEqual([
          'collection',
          'entity',
          'image x/x',
          'image y/x',
        ]);
      });

      it('rejects invalid keys, field names and values before any I/O', async () => {
        await expectSomError(store.put(['Collection'], {}), 'InvalidArgument');
        await expectSomError(store.put(['Collection', ''], {}), 'InvalidArgument');
        await expectSomError(store.put(['Collection', 'c'], { 'bad-name': 1 }), 'InvalidArgument');
        await expectSomError(store.put(['Collection', 'c'], { n: Number.NaN }), 'InvalidArgument');
      });

      it(
        'writes 1,200 records with putMany',
        async () => {
          const records = Array.from({ length: 1200 }, (_, i) => ({
            key: image('bulk', `e${i % 7}`, `i${i}`),
            data: { n: i },
          }));
          await store.putMany(records);
          const found = await allPages(store, {
            kind: 'Image',
            ancestor: ['Collection', 'bulk'],
            limit: 500,
          });
          expect(found).toHaveLength(1200);
          expect(new Set(found.map((r) => r.data.n)).size).toBe(1200);
        },
        slow,
      );

      it(
        'survives concurrent upserts of one key and of many keys',
        async () => {
          const same = await Promise.allSettled(
            Array.from({ length: 40 }, (_, i) =>
              store.put(image('race', 'e', 'same'), { writer: i, payload: `w${i}` }),
            ),
          );
          expect(same.filter((r) => r.status === 'rejected')).toEqual([]);
          const final = await store.get(image('race', 'e', 'same'));
          const writer = final?.data.writer as number;
          expect(final?.data).toEqual({ writer, payload: `w${writer}` });
          await Promise.all(
            Array.from({ length: 100 }, (_, i) => store.put(image('race', 'e', `k${i}`), { i })),
          );
          const found = await allPages(store, {
            kind: 'Image',
            ancestor: entity('race', 'e'),
            limit: 1000,
          });
          expect(found).toHaveLength(101);
        },
        slow,
      );
    });

    describe('queries', () => {
      const c = 'q';
      const dataset: StoredRecord[] = [];
      const modalities = ['CT', 'MR', 'US', 'PT', 'cr', '\u00c9CHO'];
      for (let i = 0; i < 60; i++) {
        const data: RecordData = {
          Modality: modalities[i % modalities.length] as string,
          StudyDate: `2010${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}`,
          SliceThickness: i % 4 === 0 ? 2.5 : (i % 10) + 0.0,
          Flag: i % 3 === 0,
        };
        if (i % 5 === 0)
          data.Rows = String(i); // strings that look like numbers
        else data.Rows = i;
        if (i % 7 === 0) data.Optional = null;
        else if (i % 7 === 1) data.Optional = 'present';
        dataset.push({ key: image(c, `e${i % 3}`, `i${String(i).padStart(3, '0')}`), data });
      }
      dataset.push({ key: entity(c, 'e0'), data: { Modality: 'CT', Rows: 7 } });
      dataset.push({ key: image('q-other', 'e0', 'i000'), data: { Modality: 'CT', Rows: 7 } });

      beforeAll(async () => {
        await store.putMany(dataset);
      }, slow);

      const cases: [string, Filter[]][] = [
        ['= string', [{ field: 'Modality', op: '=', value: 'CT' }]],
        ['= number is not = string', [{ field: 'Rows', op: '=', value: 10 }]],
        ['= string is not = number', [{ field: 'Rows', op: '=', value: '10' }]],
        ['< number', [{ field: 'Rows', op: '<', value: 12 }]],
        ['<= number', [{ field: 'Rows', op: '<=', value: 12 }]],
        ['> number', [{ field: 'Rows', op: '>', value: 50 }]],
        ['>= number', [{ field: 'Rows', op: '>=', value: 50 }]],
        ['range on strings never matches numbers', [{ field: 'Rows', op: '>=', value: '' }]],
        ['> string (dates)', [{ field: 'StudyDate', op: '>', value: '20100615' }]],
        [
          'range between',
          [
            { field: 'StudyDate', op: '>=', value: '20100301' },
            { field: 'StudyDate', op: '<', value: '20100501' },
          ],
        ],
        ['= float', [{ field: 'SliceThickness', op: '=', value: 2.5 }]],
        ['> mixes integers and floats', [{ field: 'SliceThickness', op: '>', value: 2 }]],
        ['= boolean', [{ field: 'Flag', op: '=', value: true }]],
        ['= null matches only null', [{ field: 'Optional', op: '=', value: null }]],
        ['case-sensitive strings', [{ field: 'Modality', op: '=', value: 'cr' }]],
        ['unicode equality', [{ field: 'Modality', op: '=', value: '\u00c9CHO' }]],
        [
          'AND of equality and range',
          [
            { field: 'Modality', op: '=', value: 'MR' },
            { field: 'Rows', op: '>', value: 20 },
          ],
        ],
        ['missing field never matches', [{ field: 'NoSuchField', op: '=', value: 'x' }]],
      ];

      it.each(cases)('filters with %s', async (_label, filters) => {
        const query: Query = { kind: 'Image', ancestor: ['Collection', c], filters };
        const got = await allPages(store, query);
        expect(keysOf(got).sort()).toEqual(expected(dataset, query).sort());
      });

      feature('inFilter')('filters with in (type-strict)', async () => {
        const query: Query = {
          kind: 'Image',
          ancestor: ['Collection', c],
          filters: [{ field: 'Modality', op: 'in', value: ['MR', 'US', 7] }],
        };
        if (!store.capabilities.inFilter)
          return expectSomError(store.query(query), 'Unimplemented');
        const got = await allPages(store, query);
        expect(got.length).toBeGreaterThan(0);
        expect(keysOf(got).sort()).toEqual(expected(dataset, query).sort());
        const numbers: Query = {
          kind: 'Image',
          ancestor: ['Collection', c],
          filters: [{ field: 'Rows', op: 'in', value: [10, 11, '15'] }],
        };
        expect(keysOf(await allPages(store, numbers)).sort()).toEqual(
          expected(dataset, numbers).sort(),
        );
      });

      it('sanity: the filter cases above select something and not everything', () => {
        const sizes = cases.map(
          ([, filters]) =>
            expected(dataset, { kind: 'Image', ancestor: ['Collection', c], filters }).length,
        );
        expect(sizes.filter((n) => n > 0 && n < 60).length).toBeGreaterThanOrEqual(
          cases.length - 2,
        );
      });

      it.each([
        ['asc numbers', { field: 'Rows', direction: 'asc' }],
        ['desc numbers', { field: 'Rows', direction: 'desc' }],
        ['asc strings', { field: 'StudyDate', direction: 'asc' }],
        ['desc unicode strings', { field: 'Modality', direction: 'desc' }],
        ['asc floats and integers', { field: 'SliceThickness', direction: 'asc' }],
      ] as const)('orders by %s', async (_label, orderBy) => {
        const filters: Filter[] =
          orderBy.field === 'Rows' ? [{ field: 'Rows', op: '>=', value: 0 }] : [];
        const query: Query = {
          kind: 'Image',
          ancestor: ['Collection', c],
          orderBy,
          filters,
          limit: 7,
        };
        const got = await allPages(store, query);
        const values = got.map((r) => r.data[orderBy.field]);
        const want = expected(dataset, query).map(
          (k) => dataset.find((r) => r.key.join('/') === k)?.data[orderBy.field],
        );
        expect(values).toEqual(want);
        expect(new Set(keysOf(got)).size).toBe(got.length);
      });

      it('scopes by ancestor: collection, entity, and kind', async () => {
        const byEntity: Query = { kind: 'Image', ancestor: entity(c, 'e1') };
        expect(keysOf(await allPages(store, byEntity)).sort()).toEqual(
          expected(dataset, byEntity).sort(),
        );
        expect((await allPages(store, byEntity)).length).toBe(20);
        const entities = await allPages(store, { kind: 'Entity', ancestor: ['Collection', c] });
        expect(keysOf(entities)).toEqual([entity(c, 'e0').join('/')]);
        const everywhere = await allPages(store, {
          kind: 'Image',
          filters: [{ field: 'Rows', op: '=', value: 7 }],
        });
        expect(keysOf(everywhere).sort()).toEqual(
          [image(c, 'e1', 'i007').join('/'), image('q-other', 'e0', 'i000').join('/')].sort(),
        );
      });

      it('rejects queries outside the portable subset before any I/O', async () => {
        const base = { kind: 'Image', ancestor: ['Collection', c] };
        await expectSomError(
          store.query({
            ...base,
            filters: [
              { field: 'Rows', op: '>', value: 1 },
              { field: 'StudyDate', op: '<', value: '2' },
            ],
          }),
          'InvalidArgument',
        );
        await expectSomError(
          store.query({
            ...base,
            filters: [{ field: 'Rows', op: '>', value: 1 }],
            orderBy: { field: 'StudyDate' },
          }),
          'InvalidArgument',
        );
        await expectSomError(store.query({ ...base, limit: 0 }), 'InvalidArgument');
        await expectSomError(
          store.query({ ...base, filters: [{ field: 'Rows', op: 'like' as '=', value: 1 }] }),
          'InvalidArgument',
        );
        await expectSomError(store.query({ ...base, pageToken: 'not a token' }), 'InvalidArgument');
      });
    });

    describe('pagination', () => {
      const c = 'pages';
      const records: StoredRecord[] = Array.from({ length: 1200 }, (_, i) => ({
        key: image(c, `e${i % 4}`, `i${String(i).padStart(4, '0')}`),
        data: {
          StudyDate: `20${String(10 + (i % 9))}0101`,
          Index: (i * 7919) % 1200,
          Modality: i % 2 ? 'CT' : 'MR',
        },
      }));
      beforeAll(async () => {
        await store.putMany(records);
      }, slow);

      it.each([
        ['no order', undefined, 100],
        ['a unique number ascending', { field: 'Index', direction: 'asc' as const }, 250],
        ['a unique number descending', { field: 'Index', direction: 'desc' as const }, 1000],
        [
          'a repeated string ascending (ties across pages)',
          { field: 'StudyDate', direction: 'asc' as const },
          77,
        ],
      ])(
        'pages through 1,200 records ordered by %s with no record lost or repeated',
        async (_label, orderBy, limit) => {
          const query: Query = {
            kind: 'Image',
            ancestor: ['Collection', c],
            limit,
            ...(orderBy ? { orderBy } : {}),
          };
          const got = await allPages(store, query);
          expect(got).toHaveLength(1200);
          expect(new Set(keysOf(got)).size).toBe(1200);
          if (orderBy) {
            const values = got.map((r) => r.data[orderBy.field]);
            const want = expected(records, query).map(
              (k) => records.find((r) => r.key.join('/') === k)?.data[orderBy.field],
            );
            expect(values).toEqual(want);
          }
        },
        slow,
      );

      it(
        'pages through a filtered, ordered query',
        async () => {
          const query: Query = {
            kind: 'Image',
            ancestor: ['Collection', c],
            filters: [
              { field: 'Modality', op: '=', value: 'CT' },
              { field: 'Index', op: '>=', value: 300 },
            ],
            orderBy: { field: 'Index' },
            limit: 64,
          };
          const got = await allPages(store, query);
          expect(keysOf(got)).toEqual(expected(records, query));
          expect(got.length).toBeGreaterThan(300);
        },
        slow,
      );
    });
  });
}
