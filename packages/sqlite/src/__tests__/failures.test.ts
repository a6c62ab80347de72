/**
 * Bad files and bad luck, on real files: each a typed SomError with a readable message,
 * and nothing already stored is damaged.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
  statSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MetadataStore, type StoredRecord } from '@som/core';
import { SqliteMetadataDriver } from '@som/sqlite';
import { asUnprivileged, somErrorOf } from '@som/testing';

const base = mkdtempSync(join(tmpdir(), 'som-sqlite-failures-'));
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory (mode 0755) for one test. */
function freshDir(): string {
  const dir = join(base, `t${counter++}`);
  mkdirSync(dir, { mode: 0o755 });
  return dir;
}

const record: StoredRecord = {
  key: ['Collection', 'c', 'Entity', 'e', 'Image', 'i'],
  data: { Modality: 'CT', Rows: 512 },
};

/** A database at `path` holding `record`, closed. */
async function seeded(path: string): Promise<void> {
  const driver = new SqliteMetadataDriver({ path });
  await driver.putMany([record, { key: ['Collection', 'c'], data: { uid: 'c' } }]);
  await driver.close();
}

/** The record, read back by a fresh driver as the current user. */
async function readBack(path: string): Promise<unknown> {
  const driver = new SqliteMetadataDriver({ path });
  try {
    return (await driver.get(record.key))?.data;
  } finally {
    await driver.close();
  }
}

describe('SQLite store failures', () => {
  it('answers FailedPrecondition for a file of garbage, and leaves it as it was', async () => {
    const path = join(freshDir(), 'garbage.db');
    const garbage = randomBytes(8192);
    writeFileSync(path, garbage);
    const store = new MetadataStore(new SqliteMetadataDriver({ path }));
    const err = await somErrorOf(store.get(record.key));
    expect(err.code).toBe('FailedPrecondition');
    expect(err.message).toMatch(/garbage\.db: cannot open: .*not a SQLite database or is damaged/);
    await store.close();
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it('answers FailedPrecondition for a database with a damaged page', async () => {
    const path = join(freshDir(), 'damaged.db');
    await seeded(path);
    const pageSize = readFileSync(path).readUInt16BE(16); // from the database header
    const fd = openSync(path, 'r+');
    for (let offset = pageSize; offset < statSync(path).size; offset += pageSize)
      writeSync(fd, randomBytes(pageSize), 0, pageSize, offset);
    closeSync(fd);
    const store = new MetadataStore(new SqliteMetadataDriver({ path }));
    const err = await somErrorOf(
      store.query({ kind: 'Image', filters: [{ field: 'Modality', op: '=', value: 'CT' }] }),
    );
    expect(err.code).toBe('FailedPrecondition');
    expect(err.message).toMatch(/damaged\.db/);
    await store.close();
  });

  it('answers Unavailable when another connection keeps the database locked, without blocking the event loop', async () => {
    const path = join(freshDir(), 'locked.db');
    await seeded(path);
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    other.prepare('DELETE FROM records WHERE kind = ?').run('Collection');
    const store = new MetadataStore(new SqliteMetadataDriver({ path, busyTimeoutMs: 400 }));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const started = Date.now();
    const err = await somErrorOf(store.put(record.key, { Modality: 'MR' }));
    clearInterval(ticker);
    expect(err.code).toBe('Unavailable');
    expect(err.message).toMatch(/locked\.db.*locked by another connection/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(ticks).toBeGreaterThan(5); // the wait was asynchronous
    other.exec('ROLLBACK');
    other.close();
    expect((await store.get(record.key))?.data).toEqual(record.data);
    await store.put(record.key, { Modality: 'MR' });
    expect((await store.get(record.key))?.data).toEqual({ Modality: 'MR' });
    await store.close();
  });

  it('waits for a lock that is released within busyTimeoutMs', async () => {
    const path = join(freshDir(), 'briefly-locked.db');
    await seeded(path);
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    other.prepare('DELETE FROM records WHERE kind = ?').run('Collection');
    setTimeout(() => {
      other.exec('COMMIT');
      other.close();
    }, 300);
    const store = new MetadataStore(new SqliteMetadataDriver({ path, busyTimeoutMs: 5000 }));
    await store.put(['Collection', 'd'], { uid: 'd' });
    expect(await store.get(['Collection', 'c'])).toBeUndefined(); // the other connection's commit is kept
    expect((await store.get(['Collection', 'd']))?.data).toEqual({ uid: 'd' });
    await store.close();
  });

  it('answers PermissionDenied for writes to a read-only file, still reading it', async () => {
    const dir = freshDir();
    const path = join(dir, 'readonly.db');
    await seeded(path);
    chmodSync(path, 0o444);
    chmodSync(dir, 0o777);
    await asUnprivileged(async () => {
      const store = new MetadataStore(new SqliteMetadataDriver({ path }));
      try {
        expect((await store.get(record.key))?.data).toEqual(record.data);
        const err = await somErrorOf(store.put(record.key, { Modality: 'MR' }));
        expect(err.code).toBe('PermissionDenied');
        expect(err.message).toMatch(
          /readonly\.db: put Collection\/c\/Entity\/e\/Image\/i: .*attempt to write a readonly database/,
        );
      } finally {
        await store.close();
      }
    });
    expect(await readBack(path)).toEqual(record.data);
  });

  it('answers PermissionDenied for a database in a read-only directory', async () => {
    const dir = freshDir();
    const path = join(dir, 'in-readonly-dir.db');
    await seeded(path);
    chmodSync(path, 0o666);
    chmodSync(dir, 0o555);
    await asUnprivileged(async () => {
      const store = new MetadataStore(new SqliteMetadataDriver({ path }));
      const err = await somErrorOf(store.put(record.key, { Modality: 'MR' }));
      expect(err.code).toBe('PermissionDenied');
      expect(err.message).toMatch(/in-readonly-dir\.db: cannot open: .*write access/);
      await store.close();
    });
    expect(await readBack(path)).toEqual(record.data);
  });

  it('answers PermissionDenied for a new database in a read-only directory', async () => {
    const dir = freshDir();
    chmodSync(dir, 0o555);
    await asUnprivileged(async () => {
      const store = new MetadataStore(new SqliteMetadataDriver({ path: join(dir, 'new.db') }));
      const err = await somErrorOf(store.get(record.key));
      expect(err.code).toBe('PermissionDenied');
      expect(err.message).toMatch(
        /new\.db: cannot open: .*EACCES: permission denied.*write access/,
      );
      await store.close();
    });
  });

  it('creates missing directories of the path', async () => {
    const path = join(freshDir(), 'a', 'b', 'som.db');
    await seeded(path);
    expect(await readBack(path)).toEqual(record.data);
  });

  it('answers FailedPrecondition when a file stands where a directory should, or the path is a directory', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'plain-file'), 'x');
    const blocked = new MetadataStore(
      new SqliteMetadataDriver({ path: join(dir, 'plain-file', 'som.db') }),
    );
    const err = await somErrorOf(blocked.get(record.key));
    expect(err.code).toBe('FailedPrecondition');
    expect(err.message).toMatch(/cannot open: .*a file stands where a directory/);
    await blocked.close();
    const directory = new MetadataStore(new SqliteMetadataDriver({ path: dir }));
    const err2 = await somErrorOf(directory.get(record.key));
    expect(err2.code).toBe('FailedPrecondition');
    expect(err2.message).toMatch(/is a directory/);
    await directory.close();
  });

  it('answers FailedPrecondition after close', async () => {
    const driver = new SqliteMetadataDriver({ path: join(freshDir(), 'closed.db') });
    await driver.put(record);
    await driver.close();
    await expect(driver.get(record.key)).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringMatching(/closed/),
    });
  });
});
