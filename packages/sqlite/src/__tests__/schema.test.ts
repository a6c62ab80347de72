/** Schema versions: upgrading an older file, refusing a newer or foreign one. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MetadataStore } from '@som/core';
import {
  APPLICATION_ID,
  DEFAULT_INDEXED_FIELDS,
  SCHEMA_VERSION,
  SqliteMetadataDriver,
  encodeKey,
  fieldIndexName,
  migrate,
} from '@som/sqlite';

const dir = mkdtempSync(join(tmpdir(), 'som-sqlite-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function indexNames(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db
        .prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'records_field_%'",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('SQLite schema migrations', () => {
  it('creates a fresh database at the latest version, marked as som', async () => {
    const path = join(dir, 'fresh.db');
    const store = new MetadataStore(new SqliteMetadataDriver({ path }));
    await store.put(['Collection', 'c'], { uid: 'c' });
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('page_size', { simple: true })).toBe(8192);
    db.close();
    expect(indexNames(path).sort()).toEqual(DEFAULT_INDEXED_FIELDS.map(fieldIndexName).sort());
  });

  it('upgrades a version 1 file, keeping its records', async () => {
    const path = join(dir, 'v1.db');
    const db = new Database(path);
    migrate(db, 'v1', 1);
    const key = ['Collection', 'c', 'Entity', 'e', 'Image', 'i'];
    db.prepare('INSERT INTO records (key, kind, parent, props) VALUES (?, ?, ?, ?)').run(
      encodeKey(key),
      'Image',
      encodeKey(key.slice(0, 4)),
      JSON.stringify({ Modality: 'CT', Rows: 512 }),
    );
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
    expect(indexNames(path)).toEqual([]);

    const driver = new SqliteMetadataDriver({ path });
    expect((await driver.get(key))?.data).toEqual({ Modality: 'CT', Rows: 512 });
    const found = await driver.query({
      kind: 'Image',
      filters: [{ field: 'Modality', op: '=', value: 'CT' }],
    });
    expect(found.records.map((r) => r.key)).toEqual([key]);
    expect(
      (
        await driver.explain({
          kind: 'Image',
          filters: [{ field: 'Modality', op: '=', value: 'CT' }],
        })
      ).join(),
    ).toMatch(/records_field_Modality/);
    await driver.close();
    expect(new Database(path, { readonly: true }).pragma('user_version', { simple: true })).toBe(
      SCHEMA_VERSION,
    );
  });

  it('refuses a file written by a newer som, with FailedPrecondition, changing nothing', async () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    migrate(db, 'newer');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(path);
    const driver = new SqliteMetadataDriver({ path });
    await expect(driver.get(['Collection', 'c'])).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringMatching(/schema version 3 is newer than this som understands \(2\)/),
    });
    await driver.close();
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a SQLite file of another application, changing nothing', async () => {
    const path = join(dir, 'foreign.db');
    const db = new Database(path);
    db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')");
    db.close();
    const driver = new SqliteMetadataDriver({ path });
    await expect(driver.put({ key: ['Collection', 'c'], data: {} })).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringMatching(/not a som database/),
    });
    await driver.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT name FROM sqlite_schema').all()).toEqual([{ name: 'notes' }]);
    check.close();
  });

  it('adds indexes for configured fields when it opens, and uses them', async () => {
    const path = join(dir, 'configured.db');
    await new SqliteMetadataDriver({ path }).close();
    const driver = new SqliteMetadataDriver({
      path: join(dir, 'configured.db'),
      indexedFields: ['AccessionNumber', 'Modality'],
    });
    await driver.put({ key: ['Collection', 'c'], data: { AccessionNumber: 'A1' } });
    expect(indexNames(path)).toContain('records_field_AccessionNumber');
    expect(
      (
        await driver.explain({
          kind: 'Collection',
          filters: [{ field: 'AccessionNumber', op: '=', value: 'A1' }],
        })
      ).join(),
    ).toMatch(/records_field_AccessionNumber/);
    await driver.close();
  });
});
