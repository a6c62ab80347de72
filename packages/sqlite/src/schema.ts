/**
 * The database schema: one `records` table, expression indexes on searchable fields, and
 * versioned migrations recorded in `PRAGMA user_version` (files are marked as som's with
 * `PRAGMA application_id`, so a foreign SQLite file is never altered).
 */
import type { Database } from 'better-sqlite3';
import { FIELD_NAME, SEARCHABLE_IMAGE_FIELDS, SomError } from '@som/core';

/** `PRAGMA application_id` of som databases ("som1"). */
export const APPLICATION_ID = 0x736f6d31;

/** Fields indexed in every database (the searchable DICOM fields of an Image record, and `uid`). */
export const DEFAULT_INDEXED_FIELDS: readonly string[] = [
  ...SEARCHABLE_IMAGE_FIELDS,
  'SliceThickness',
  'PatientID',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'SOPInstanceUID',
  'uid',
];

/** Throw InvalidArgument unless `field` is a field name (it is written into SQL as a JSON path). */
export function assertFieldName(field: string): string {
  if (!FIELD_NAME.test(field))
    throw new SomError('InvalidArgument', `invalid field name ${JSON.stringify(field)}`);
  return field;
}

/**
 * The SQL expression of a field's value: `json_extract(props,'$.<field>')`. Queries and
 * indexes both use this function, so a filter's expression is exactly the indexed one.
 */
export function fieldValueSql(field: string): string {
  return `json_extract(props,'$.${assertFieldName(field)}')`;
}

/** The SQL expression of a field's JSON type (`text`, `integer`, `real`, `true`, `false`, `null`, ...; NULL when absent). */
export function fieldTypeSql(field: string): string {
  return `json_type(props,'$.${assertFieldName(field)}')`;
}

/** Name of the index on `field`. */
export function fieldIndexName(field: string): string {
  return `records_field_${assertFieldName(field)}`;
}

/**
 * DDL of the expression index on `field`. Records are a WITHOUT ROWID table keyed by `key`,
 * so each entry is (kind, value, key): equality matches come out in key order, and a range
 * comes out in (value, key) order, as queries sort.
 */
export function fieldIndexSql(field: string): string {
  return `CREATE INDEX IF NOT EXISTS ${fieldIndexName(field)} ON records(kind, ${fieldValueSql(field)})`;
}

/** Name of the index on kind (entries (kind, key)), for queries no field index serves. */
export const KIND_INDEX = 'records_kind';

/** The fields that have an index in `db`. */
export function indexedFieldsOf(db: Database): Set<string> {
  const rows = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'records\\_field\\_%' ESCAPE '\\'",
    )
    .all() as { name: string }[];
  return new Set(rows.map((row) => row.name.slice('records_field_'.length)));
}

/** One step of the schema: applied once, in order, inside a transaction. */
export interface Migration {
  /** The `user_version` after this step. */
  version: number;
  /** What it changes. */
  description: string;
  /** Apply it. */
  up(db: Database): void;
}

/** Every schema step, oldest first. Never edit a released step: append a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records table: canonical key, kind, parent key, fields as JSON text',
    up: (db) =>
      db.exec(`
        CREATE TABLE records (
          key BLOB PRIMARY KEY,
          kind TEXT NOT NULL,
          parent BLOB NOT NULL,
          props TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ${KIND_INDEX} ON records(kind);
      `),
  },
  {
    version: 2,
    description: 'expression indexes on the default searchable fields',
    up: (db) => DEFAULT_INDEXED_FIELDS.forEach((field) => db.exec(fieldIndexSql(field))),
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** True when the database has no tables, views or indexes of its own. */
function isEmptyDatabase(db: Database): boolean {
  const row = db
    .prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
    .get() as { n: number };
  return row.n === 0;
}

/**
 * Throw FailedPrecondition unless som may use `db` (named `name` in errors): it is empty, or
 * a som database of this or an older schema version. Reads only: nothing is changed.
 */
export function assertCompatible(db: Database, name: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new SomError(
      'FailedPrecondition',
      `${name}: schema version ${version} is newer than this som understands (${SCHEMA_VERSION}): upgrade som to open it`,
    );
  }
  const fresh = version === 0 && applicationId === 0 && isEmptyDatabase(db);
  if (!fresh && applicationId !== APPLICATION_ID) {
    throw new SomError(
      'FailedPrecondition',
      `${name}: not a som database (it holds other tables): choose another path`,
    );
  }
}

/**
 * Bring the schema of `db` (named `name` in errors) to `target` (default: the latest), one
 * migration per transaction, after {@link assertCompatible}.
 */
export function migrate(db: Database, name: string, target = SCHEMA_VERSION): void {
  assertCompatible(db, name);
  const version = db.pragma('user_version', { simple: true }) as number;
  for (const migration of MIGRATIONS) {
    if (migration.version <= version || migration.version > target) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
