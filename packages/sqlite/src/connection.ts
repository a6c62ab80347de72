/**
 * Opening the database file: its directory, the connection settings (WAL, short busy wait),
 * the schema migrations and the configured field indexes; and waiting out other processes'
 * locks without blocking the event loop.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { SomError } from '@som/core';
import { isBusy, openError } from './errors';
import { DEFAULT_INDEXED_FIELDS, assertCompatible, fieldIndexSql, migrate } from './schema';

/**
 * How long one statement waits synchronously for a lock (SQLite's busy_timeout): not at all,
 * because better-sqlite3 would block the event loop meanwhile; waits happen in
 * {@link retryWhileBusy}, asynchronously.
 */
const SYNC_BUSY_WAIT_MS = 0;

/** Page cache of the connection, in KiB (SQLite's default is 2 MiB: too small for the indexes of a large store). */
const CACHE_KIB = 64 * 1024;

/** Page size of new files (SQLite's default is 4 KiB); with 13 indexes, 8 KiB writes faster. */
const PAGE_SIZE = 8192;

/**
 * WAL pages written before a commit copies them back into the database (SQLite's default is
 * 1,000): fewer, larger checkpoints write each hot index page once instead of many times.
 * A commit that checkpoints takes longer (about 0.2 s on the bench machine).
 */
const CHECKPOINT_PAGES = 10_000;

/** The WAL file is cut back to this size after a checkpoint. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Default of `busyTimeoutMs`: how long an operation waits for another process's lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/**
 * Run `work` (synchronous SQLite calls) and, while another connection holds the lock, run it
 * again after a growing pause, for at most `timeoutMs`; then Unavailable naming `name`.
 */
export async function retryWhileBusy<T>(
  work: () => T,
  timeoutMs: number,
  name: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
    try {
      return work();
    } catch (err) {
      if (!isBusy(err)) throw err;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new SomError(
          'Unavailable',
          `${name}: the database is locked by another connection (waited ${timeoutMs} ms); try again later`,
          {
            cause: err,
          },
        );
      }
      await sleep(Math.min(pause, remaining));
    }
  }
}

/** What {@link openDatabase} needs. */
export interface OpenSettings {
  /** The database file (its directory is created when missing). */
  path: string;
  /** Readable name for errors. */
  name: string;
  /** Fields to index beyond {@link DEFAULT_INDEXED_FIELDS}. */
  indexedFields: readonly string[];
}

/** One attempt at opening: SomError (or a busy error, to retry) on failure; nothing is left open. */
function openOnce(settings: OpenSettings): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(settings.path), { recursive: true });
    db = new Database(settings.path, { timeout: SYNC_BUSY_WAIT_MS });
    assertCompatible(db, settings.name); // before anything writes to the file
    db.pragma(`page_size = ${PAGE_SIZE}`); // takes effect only in a new, empty file
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits,
    // which `som verify --repair` rebuilds from the objects (objects are written first).
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    migrate(db, settings.name);
    const extra = settings.indexedFields.filter((field) => !DEFAULT_INDEXED_FIELDS.includes(field));
    if (extra.length > 0) {
      const handle = db;
      handle
        .transaction(() => extra.forEach((field) => handle.exec(fieldIndexSql(field))))
        .immediate();
    }
    return db;
  } catch (err) {
    db?.close();
    if (isBusy(err)) throw err;
    throw openError(err, settings.path, settings.name);
  }
}

/** Open (creating or upgrading) the database, waiting at most `busyTimeoutMs` for other processes' locks. */
export function openDatabase(
  settings: OpenSettings,
  busyTimeoutMs: number,
): Promise<Database.Database> {
  return retryWhileBusy(() => openOnce(settings), busyTimeoutMs, settings.name);
}
