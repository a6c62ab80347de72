/** Keyset pages stay exact while records are written between pages. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore, type Query } from '@som/core';
import { SqliteMetadataDriver } from '@som/sqlite';

describe('SQLite pages under concurrent writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-pages-'));
  const store = new MetadataStore(new SqliteMetadataDriver({ path: join(dir, 'som.db') }));
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['by key', undefined],
    ['by an indexed number', { field: 'Rows', direction: 'asc' as const }],
    ['by a string, descending', { field: 'StudyDate', direction: 'desc' as const }],
  ])(
    'returns every original record once, in order, paging %s while others are inserted',
    async (_label, orderBy) => {
      const c = `c-${orderBy?.field ?? 'key'}`;
      const image = (i: number, tag: string): string[] => [
        'Collection',
        c,
        'Entity',
        'e',
        'Image',
        `${tag}${String(i).padStart(4, '0')}`,
      ];
      const data = (i: number): { Rows: number; StudyDate: string } => ({
        Rows: i % 37,
        StudyDate: `2010${String((i % 12) + 1).padStart(2, '0')}01`,
      });
      await store.putMany(
        Array.from({ length: 500 }, (_, i) => ({ key: image(i, 'm'), data: data(i) })),
      );
      const query: Query = {
        kind: 'Image',
        ancestor: ['Collection', c],
        limit: 45,
        ...(orderBy ? { orderBy } : {}),
      };
      const seen: string[] = [];
      let pageToken: string | undefined;
      let round = 0;
      do {
        const page = await store.query({ ...query, ...(pageToken ? { pageToken } : {}) });
        seen.push(...page.records.map((r) => r.key.join('/')));
        pageToken = page.nextPageToken;
        // Between pages: new records sorting before and after the cursor, on both sides of every tie.
        round++;
        await store.putMany([
          { key: image(round, 'a'), data: data(round * 7) },
          { key: image(round, 'z'), data: data(round * 11) },
        ]);
      } while (pageToken !== undefined);
      const originals = seen.filter((k) => k.split('/').at(-1)?.startsWith('m'));
      expect(originals).toHaveLength(500);
      expect(new Set(seen).size).toBe(seen.length);
      const all = await store.getMany(seen.map((k) => k.split('/')));
      if (orderBy) {
        const values = all.map((r) => r?.data[orderBy.field] as string | number);
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(values).toEqual(orderBy.direction === 'desc' ? sorted.reverse() : sorted);
      } else {
        expect(seen).toEqual([...seen].sort());
      }
    },
  );
});
