/**
 * The generated SQL uses the expression indexes: EXPLAIN QUERY PLAN of real queries on a
 * real database file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SomError, type Query } from '@som/core';
import { SqliteMetadataDriver } from '@som/sqlite';
import { querySql } from '../query-sql';

describe('SQLite query plans', () => {
  const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-plan-'));
  const driver = new SqliteMetadataDriver({
    path: join(dir, 'som.db'),
    indexedFields: ['AccessionNumber'],
  });
  const images: Query = { kind: 'Image', ancestor: ['Collection', 'c'] };

  beforeAll(async () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: ['Collection', 'c', 'Entity', `e${i % 10}`, 'Image', `i${i}`],
      data: {
        Modality: i % 2 ? 'CT' : 'MR',
        Rows: 256 + (i % 3) * 256,
        StudyDate: `2010010${i % 9}`,
        Comment: `n${i}`,
        AccessionNumber: `A${i}`,
      },
    }));
    await driver.putMany(records);
  });

  afterAll(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('searches the Modality index for an equality filter, in key order without sorting', async () => {
    const plan = (
      await driver.explain({
        ...images,
        filters: [{ field: 'Modality', op: '=', value: 'CT' }],
        limit: 100,
      })
    ).join('\n');
    // The ancestor's key range is searched within the index too.
    expect(plan).toMatch(
      /SEARCH records USING INDEX records_field_Modality \(kind=\? AND <expr>=\? AND key>\? AND key<\?\)/,
    );
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it('scans records of a kind in key order for a filter without an index, without sorting them all', async () => {
    const plan = (
      await driver.explain({
        kind: 'Image',
        filters: [{ field: 'Comment', op: '=', value: 'n7' }],
        limit: 100,
      })
    ).join('\n');
    expect(plan).toMatch(/SEARCH records USING INDEX records_kind \(kind=\?\)/);
    expect(plan).not.toMatch(/records_field_|TEMP B-TREE/);
  });

  it('searches an index for a range on numbers and on strings, bounded to that type', async () => {
    const numbers = (
      await driver.explain({
        kind: 'Image',
        filters: [{ field: 'Rows', op: '>', value: 300 }],
        orderBy: { field: 'Rows' },
      })
    ).join('\n');
    expect(numbers).toMatch(
      /SEARCH records USING INDEX records_field_Rows \(kind=\? AND <expr>>\? AND <expr><\?\)/,
    );
    expect(numbers).not.toMatch(/TEMP B-TREE/);
    const strings = (
      await driver.explain({
        kind: 'Image',
        filters: [{ field: 'StudyDate', op: '<', value: '20100105' }],
        orderBy: { field: 'StudyDate', direction: 'desc' },
      })
    ).join('\n');
    expect(strings).toMatch(
      /SEARCH records USING INDEX records_field_StudyDate \(kind=\? AND <expr>>\? AND <expr><\?\)/,
    );
  });

  it('uses the index of a configured field (indexedFields)', async () => {
    const plan = (
      await driver.explain({
        kind: 'Image',
        filters: [{ field: 'AccessionNumber', op: '=', value: 'A7' }],
      })
    ).join('\n');
    expect(plan).toMatch(/USING INDEX records_field_AccessionNumber/);
  });

  it('scans for a field without an index (the contrast)', async () => {
    const plan = (
      await driver.explain({ ...images, filters: [{ field: 'Comment', op: '=', value: 'n7' }] })
    ).join('\n');
    expect(plan).not.toMatch(/records_field_/);
    const got = await driver.query({
      ...images,
      filters: [{ field: 'Comment', op: '=', value: 'n7' }],
    });
    expect(got.records.map((r) => r.data.AccessionNumber)).toEqual(['A7']);
  });

  it('binds every value: a filter value never becomes SQL', () => {
    const value = "x' OR 1=1 --";
    const { sql, params } = querySql(
      { ...images, filters: [{ field: 'Modality', op: '=', value }] },
      new Set(['Modality']),
    );
    expect(sql).not.toContain(value);
    expect(params).toContain(value);
  });

  it('refuses a field name that is not a plain identifier, even past the portable layer', async () => {
    const evil: Query = {
      ...images,
      filters: [{ field: "Modality') OR 1=1 --", op: '=', value: 'x' }],
    };
    expect(() => querySql(evil, new Set())).toThrow(SomError);
    await expect(driver.query(evil)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(driver.query({ ...images, orderBy: { field: 'a.b' } })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });

  it('refuses a page token from a query on another type', async () => {
    const page = await driver.query({
      ...images,
      filters: [{ field: 'Rows', op: '>', value: 0 }],
      orderBy: { field: 'Rows' },
      limit: 5,
    });
    expect(page.nextPageToken).toBeDefined();
    const strings: Query = {
      ...images,
      filters: [{ field: 'Rows', op: '>', value: '' }],
      orderBy: { field: 'Rows' },
      limit: 5,
    };
    await expect(
      driver.query({ ...strings, pageToken: page.nextPageToken as string }),
    ).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
