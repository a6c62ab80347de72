/**
 * The SQLite MetadataStore driver: the embedded default for records (`./som-data/som.db`).
 * One connection per driver; better-sqlite3 is synchronous, so every call is short (bulk
 * writes go in chunked transactions with a yield to the event loop between chunks).
 */
import { resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database, Statement } from 'better-sqlite3';
import {
  SomError,
  cursorOf,
  encodeCursor,
  type ErrorCode,
  type KeyPath,
  type MetadataStoreDriver,
  type Query,
  type QueryPage,
  type RecordData,
  type StoredRecord,
} from '@som/core';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase, retryWhileBusy } from './connection';
import { sqliteErrorCode } from './errors';
import { decodeKey, encodeKey, encodeParent } from './key-codec';
import { DEFAULT_PAGE_SIZE, querySql, type SqlValue } from './query-sql';
import { validateSqliteConfig, type SqliteMetadataConfig } from './config';
import { indexedFieldsOf } from './schema';

/** Records written per transaction by putMany and deleteMany. */
export const WRITE_CHUNK = 1000;

/** Prepared statements are kept for this many distinct query shapes. */
const STATEMENT_CACHE_SIZE = 64;

interface Row {
  key: Buffer;
  props: string;
}

/** Records in one SQLite file: fields as JSON text, searchable fields behind expression indexes. */
export class SqliteMetadataDriver implements MetadataStoreDriver {
  readonly name: string;
  readonly capabilities = { inFilter: true };
  private readonly path: string;
  private readonly indexedFields: readonly string[];
  private readonly busyTimeoutMs: number;
  private opening?: Promise<Database>;
  private db?: Database;
  /** The fields with an index in the open database. */
  private indexed: ReadonlySet<string> = new Set();
  private closed = false;
  private readonly statements = new Map<string, Statement<SqlValue[]>>();

  /**
   * @param config see {@link SqliteMetadataConfig}; the file is opened on first use.
   */
  constructor(config: SqliteMetadataConfig) {
    validateSqliteConfig(config);
    this.path = resolve(config.path);
    this.name = `sqlite:${this.path}`;
    this.indexedFields = [...(config.indexedFields ?? [])];
    this.busyTimeoutMs = config.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  }

  async get(key: KeyPath): Promise<StoredRecord | undefined> {
    const row = await this.read((db) =>
      this.statement(db, 'SELECT props FROM records WHERE key = ?').get(encodeKey(key)),
    );
    return row === undefined
      ? undefined
      : { key: [...key], data: JSON.parse((row as Row).props) as RecordData };
  }

  async getMany(keys: readonly KeyPath[]): Promise<(StoredRecord | undefined)[]> {
    return this.read((db) => {
      const select = this.statement(db, 'SELECT props FROM records WHERE key = ?');
      return keys.map((key) => {
        const row = select.get(encodeKey(key)) as Row | undefined;
        return row === undefined
          ? undefined
          : { key: [...key], data: JSON.parse(row.props) as RecordData };
      });
    });
  }

  async put(record: StoredRecord): Promise<void> {
    await this.putMany([record]);
  }

  async putMany(records: readonly StoredRecord[]): Promise<void> {
    // Encode everything first: a bad record fails the call before anything is written.
    const rows = records.map((record) => [
      encodeKey(record.key),
      record.key[record.key.length - 2] as string,
      encodeParent(record.key),
      JSON.stringify(record.data),
    ]);
    await this.writeInChunks(
      rows,
      `INSERT INTO records (key, kind, parent, props) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, parent = excluded.parent, props = excluded.props`,
    );
  }

  async delete(key: KeyPath): Promise<void> {
    await this.deleteMany([key]);
  }

  async deleteMany(keys: readonly KeyPath[]): Promise<void> {
    await this.writeInChunks(
      keys.map((key) => [encodeKey(key)]),
      'DELETE FROM records WHERE key = ?',
    );
  }

  async query(query: Query): Promise<QueryPage> {
    const rows = (await this.read((db) => {
      const { sql, params } = querySql(query, this.indexed);
      return this.statement(db, sql).all(...params);
    })) as Row[];
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const records = rows
      .slice(0, limit)
      .map((row) => ({ key: decodeKey(row.key), data: JSON.parse(row.props) as RecordData }));
    const last = records[records.length - 1];
    return rows.length > limit && last !== undefined
      ? { records, nextPageToken: encodeCursor(cursorOf(last, query)) }
      : { records };
  }

  /**
   * SQLite's plan for `query` (the `detail` lines of EXPLAIN QUERY PLAN), e.g.
   * `SEARCH records USING INDEX records_field_Modality (kind=? AND <expr>=?)`.
   */
  async explain(query: Query): Promise<string[]> {
    const plan = await this.read((db) => {
      const { sql, params } = querySql(query, this.indexed);
      return db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params);
    });
    return (plan as { detail: string }[]).map((step) => step.detail);
  }

  errorCode(err: unknown): ErrorCode {
    return sqliteErrorCode(err);
  }

  async close(): Promise<void> {
    this.closed = true;
    const db = this.db ?? (await this.opening?.catch(() => undefined));
    this.statements.clear();
    db?.close();
    this.db = undefined;
  }

  /** The open connection (opening, creating or upgrading the file on first use). */
  private async connection(): Promise<Database> {
    if (this.closed) throw new SomError('FailedPrecondition', `${this.name} is closed`);
    if (this.db !== undefined) return this.db;
    this.opening ??= openDatabase(
      { path: this.path, name: this.name, indexedFields: this.indexedFields },
      this.busyTimeoutMs,
    );
    try {
      this.db = await this.opening;
      this.indexed = indexedFieldsOf(this.db);
    } catch (err) {
      this.opening = undefined; // a later call tries again (the lock may be gone, the file fixed)
      throw err;
    }
    if (this.closed) {
      this.db.close();
      throw new SomError('FailedPrecondition', `${this.name} is closed`);
    }
    return this.db;
  }

  /** Run a read, waiting out other processes' locks. */
  private async read<T>(work: (db: Database) => T): Promise<T> {
    const db = await this.connection();
    return retryWhileBusy(() => work(db), this.busyTimeoutMs, this.name);
  }

  /** Run `sql` once per row, in transactions of {@link WRITE_CHUNK} rows (each all or nothing). */
  private async writeInChunks(rows: readonly SqlValue[][], sql: string): Promise<void> {
    const db = await this.connection();
    const statement = this.statement(db, sql);
    const write = db.transaction((chunk: readonly SqlValue[][]) => {
      for (const row of chunk) statement.run(...row);
    });
    for (let start = 0; start < rows.length; start += WRITE_CHUNK) {
      if (start > 0) await yieldToEventLoop();
      const chunk = rows.slice(start, start + WRITE_CHUNK);
      await retryWhileBusy(() => write.immediate(chunk), this.busyTimeoutMs, this.name);
    }
  }

  /** A prepared statement for `sql`, reused across calls. */
  private statement(db: Database, sql: string): Statement<SqlValue[]> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<SqlValue[]>(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE)
        this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
