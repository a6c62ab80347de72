/**
 * The SQLite driver against the reference semantics (the in-memory driver) on data where
 * every field holds every type: random filters, orders and page sizes must give the same
 * records in the same order, page after page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryMetadataDriver,
  MetadataStore,
  type FieldValue,
  type Filter,
  type FilterOp,
  type Query,
  type ScalarValue,
  type StoredRecord,
} from '@som/core';
import { SqliteMetadataDriver } from '@som/sqlite';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(20240601);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

const SCALARS: readonly ScalarValue[] = [
  0,
  1,
  -2.5,
  7,
  7.0001,
  1e21,
  '',
  '7',
  'CT',
  'ct',
  'MR',
  '\u00e9',
  '\u{1F600}',
  '\uffff',
  true,
  false,
  null,
];
const VALUES: readonly (FieldValue | undefined)[] = [
  ...SCALARS,
  undefined,
  undefined,
  [1, 2],
  [],
  { a: 1 },
  {},
];
const FIELDS = ['Modality', 'Rows', 'Other'] as const; // two indexed fields, one not

function dataset(): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (let i = 0; i < 400; i++) {
    const data: Record<string, FieldValue> = {};
    for (const field of FIELDS) {
      const value = pick(VALUES);
      if (value !== undefined) data[field] = value;
    }
    const c = `c${i % 3}`;
    const e = `e${i % 5}`;
    const name = pick(['a', 'b', 'a\u0000b', 'a b', '\u00e9', '\u{1F600}', 'z']) + String(i);
    records.push({ key: ['Collection', c, 'Entity', e, 'Image', name], data });
  }
  records.push({ key: ['Collection', 'c0', 'Entity', 'e0'], data: { Modality: 'CT', Rows: 7 } });
  return records;
}

function randomFilter(field: string): Filter {
  const op = pick<FilterOp>(['=', '=', 'in', '<', '<=', '>', '>=']);
  if (op === 'in') return { field, op, value: [pick(SCALARS), pick(SCALARS), pick(SCALARS)] };
  if (op === '=') return { field, op, value: pick(SCALARS) };
  return {
    field,
    op,
    value: pick(SCALARS.filter((v) => typeof v === 'string' || typeof v === 'number')),
  };
}

function randomQuery(): Query {
  const query: Query = {
    kind: pick(['Image', 'Image', 'Image', 'Entity']),
    limit: pick([1, 3, 7, 50, 1000]),
  };
  const ancestor = pick([undefined, ['Collection', 'c1'], ['Collection', 'c2', 'Entity', 'e3']]);
  if (ancestor) query.ancestor = ancestor;
  const rangeField = pick(FIELDS);
  const filters: Filter[] = [];
  for (let n = Math.floor(rand() * 3); n > 0; n--) {
    const filter = randomFilter(pick(FIELDS));
    if (['<', '<=', '>', '>='].includes(filter.op) && filter.field !== rangeField) continue;
    filters.push(filter);
  }
  if (filters.length > 0) query.filters = filters;
  if (rand() < 0.7) {
    const hasRange = filters.some((f) => ['<', '<=', '>', '>='].includes(f.op));
    query.orderBy = {
      field: hasRange ? rangeField : pick(FIELDS),
      direction: pick(['asc', 'desc'] as const),
    };
  }
  return query;
}

/** What the reference semantics return for `query`, in order (the in-memory driver, in one page). */
async function expected(reference: MemoryMetadataDriver, query: Query): Promise<string[]> {
  const { limit: _pageSize, ...unpaged } = query;
  return (await reference.query(unpaged)).records.map((r) => JSON.stringify(r.key));
}

async function allPages(store: MetadataStore, query: Query): Promise<string[]> {
  const keys: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.query({ ...query, ...(pageToken ? { pageToken } : {}) });
    keys.push(...page.records.map((r) => JSON.stringify(r.key)));
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return keys;
}

describe('SQLite queries match the reference semantics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-reference-'));
  const sqlite = new MetadataStore(
    new SqliteMetadataDriver({ path: join(dir, 'som.db'), indexedFields: ['Rows'] }),
  );
  const reference = new MemoryMetadataDriver();
  const records = dataset();

  beforeAll(async () => {
    await sqlite.putMany(records);
    await new MetadataStore(reference).putMany(records);
  });

  afterAll(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns every record with the same data', async () => {
    const got = await sqlite.getMany(records.map((r) => r.key));
    expect(got.map((r) => r?.data)).toEqual(records.map((r) => r.data));
  });

  it('answers 300 random queries exactly as the reference does, page by page', async () => {
    let nonEmpty = 0;
    for (let i = 0; i < 300; i++) {
      const query = randomQuery();
      const want = await expected(reference, query);
      const got = await allPages(sqlite, query);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(
          `query ${JSON.stringify(query)}\n got  ${got.length}: ${got.slice(0, 8).join(' ')}\n want ${want.length}: ${want.slice(0, 8).join(' ')}`,
        );
      }
      if (want.length > 1) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(75); // the random queries do select records
  });

  it.each([
    ['mixed types, ascending', { field: 'Other', direction: 'asc' as const }],
    ['mixed types, descending', { field: 'Modality', direction: 'desc' as const }],
  ])('orders %s across type classes, in pages of one', async (_label, orderBy) => {
    const query: Query = { kind: 'Image', orderBy, limit: 1, ancestor: ['Collection', 'c0'] };
    const want = await expected(reference, query);
    expect(want.length).toBeGreaterThan(50);
    expect(await allPages(sqlite, query)).toEqual(want);
  });
});
