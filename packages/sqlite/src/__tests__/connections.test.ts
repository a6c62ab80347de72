/** Two connections (as two som processes would have) writing one file at once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore, type StoredRecord } from '@som/core';
import { SqliteMetadataDriver } from '@som/sqlite';

describe('SQLite with two connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-connections-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every record of two writers upserting overlapping keys at once', async () => {
    const path = join(dir, 'shared.db');
    const first = new MetadataStore(new SqliteMetadataDriver({ path }));
    const second = new MetadataStore(new SqliteMetadataDriver({ path }));
    const batch = (writer: number): StoredRecord[] =>
      Array.from({ length: 3000 }, (_, i) => ({
        key: ['Collection', 'c', 'Entity', `e${i % 10}`, 'Image', `i${i + writer * 1500}`],
        data: { writer, i },
      }));
    await Promise.all([
      first.putMany(batch(0)),
      second.putMany(batch(1)),
      first.put(['Collection', 'c'], { uid: 'c' }),
    ]);
    const keys = new Set<string>();
    for await (const record of second.queryAll({
      kind: 'Image',
      ancestor: ['Collection', 'c'],
      limit: 1000,
    }))
      keys.add(record.key.join('/'));
    expect(keys.size).toBe(4500);
    const overlap = await first.get(['Collection', 'c', 'Entity', 'e0', 'Image', 'i1500']);
    expect([0, 1]).toContain(overlap?.data.writer);
    await first.close();
    await second.close();
  });
});
