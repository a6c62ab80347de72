/** Unit tests of how records, queries and batches are put to Datastore (no server). */
import { Datastore, PropertyFilter } from '@google-cloud/datastore';
import type { Filter, KeyPath, RecordData } from '@som/core';
import {
  MAX_ENTITY_GROUPS,
  MAX_MUTATIONS,
  MAX_INDEXED_STRING_BYTES,
  commitBatches,
  cursorOfToken,
  datastoreFilters,
  fromEntity,
  toProperties,
} from '.';

const image = (c: string, i: number): KeyPath => ['Collection', c, 'Entity', 'e', 'Image', `i${i}`];

describe('fields', () => {
  it('stores numbers as doubles, short scalars indexed, long strings and structures unindexed', () => {
    const long = 'x'.repeat(MAX_INDEXED_STRING_BYTES + 1);
    const edge = '\u00e9'.repeat(MAX_INDEXED_STRING_BYTES / 2);
    const properties = toProperties({
      n: 3,
      s: 'CT',
      edge,
      long,
      b: true,
      z: null,
      list: [1, 'a'],
      obj: { a: [null] },
    });
    const byName = Object.fromEntries(properties.map((p) => [p.name, p]));
    expect(byName.n?.value).toEqual(Datastore.double(3));
    expect(byName.n?.excludeFromIndexes).toBe(false);
    expect(byName.s).toEqual({ name: 's', value: 'CT', excludeFromIndexes: false });
    expect(byName.edge?.excludeFromIndexes).toBe(false);
    expect(byName.long?.excludeFromIndexes).toBe(true);
    expect(byName.b?.excludeFromIndexes).toBe(false);
    expect(byName.z?.excludeFromIndexes).toBe(false);
    expect(byName.list).toEqual({
      name: 'list',
      value: Buffer.from('[1,"a"]'),
      excludeFromIndexes: true,
    });
    expect(byName.obj?.excludeFromIndexes).toBe(true);
  });

  it('reads back what it stores, and names a field holding foreign bytes', () => {
    const data: RecordData = { n: 2.5, s: 's', b: false, z: null, list: [[1], { a: 'b' }] };
    const read = Object.fromEntries(
      toProperties(data).map((p) => [p.name, p.value instanceof Buffer ? p.value : data[p.name]]),
    );
    expect(fromEntity(read, 'Collection/c')).toEqual(data);
    expect(() => fromEntity({ raw: Buffer.from([0xff]) }, 'Collection/c')).toThrow(
      'Collection/c: field raw holds bytes som did not write',
    );
    expect(() => fromEntity({ when: new Date(0) }, 'Collection/c')).toThrow(
      /field when holds a Datastore value/,
    );
  });
});

describe('filters', () => {
  const summary = (filters: Filter[]): string[] =>
    datastoreFilters(filters).map(
      (f: PropertyFilter<string>) => `${f.name} ${f.op} ${JSON.stringify(f.val)}`,
    );

  it('compares numbers as doubles and sends in as IN', () => {
    expect(summary([{ field: 'Rows', op: '=', value: 7 }])).toEqual([
      `Rows = ${JSON.stringify(Datastore.double(7))}`,
    ]);
    expect(summary([{ field: 'M', op: 'in', value: ['CT', 3, null] }])).toEqual([
      `M IN ${JSON.stringify(['CT', Datastore.double(3), null])}`,
    ]);
    expect(summary([{ field: 'M', op: '=', value: null }])).toEqual(['M = null']);
  });

  it('bounds a range to the type of its value, once per field and type', () => {
    const low = JSON.stringify(Datastore.double(-Infinity));
    const high = JSON.stringify(Datastore.double(Infinity));
    expect(
      summary([
        { field: 'D', op: '>=', value: '2010' },
        { field: 'D', op: '<', value: '2011' },
      ]),
    ).toEqual(['D >= "2010"', 'D < "2011"', 'D >= ""', `D < ${low}`]);
    expect(
      summary([
        { field: 'Rows', op: '>', value: 5 },
        { field: 'M', op: '=', value: 'CT' },
      ]),
    ).toEqual([
      `Rows > ${JSON.stringify(Datastore.double(5))}`,
      'M = "CT"',
      `Rows >= ${low}`,
      `Rows <= ${high}`,
    ]);
  });

  it('takes base64 cursors as page tokens and nothing else', () => {
    expect(cursorOfToken('CjoSNGoJZGVtby10ZXN0ciILEgpD+/_-==')).toBe(
      'CjoSNGoJZGVtby10ZXN0ciILEgpD+/_-==',
    );
    expect(() => cursorOfToken('not a token')).toThrow('invalid query page token');
  });
});

describe('commit batches', () => {
  it(`splits at ${MAX_MUTATIONS} mutations`, () => {
    const items = Array.from({ length: 1201 }, (_, i) => image('c', i));
    expect(commitBatches(items, (k) => k).map((b) => b.length)).toEqual([500, 500, 201]);
  });

  it(`splits before a ${MAX_ENTITY_GROUPS + 1}th entity group, keeping order`, () => {
    const items = Array.from({ length: 60 }, (_, i) => image(`c${Math.floor(i / 2)}`, i));
    const batches = commitBatches(items, (k) => k);
    expect(batches.map((b) => b.length)).toEqual([50, 10]);
    expect(batches.flat()).toEqual(items);
  });

  it('gives no batch for nothing', () => {
    expect(commitBatches([], (k: KeyPath) => k)).toEqual([]);
  });
});
