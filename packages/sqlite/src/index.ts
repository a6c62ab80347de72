/**
 * @packageDocumentation The SQLite MetadataStore driver (the embedded default): records as
 * JSON text in one table, searchable fields behind expression indexes, keyset pagination.
 */
export { SqliteMetadataDriver, WRITE_CHUNK } from './driver';
export { validateSqliteConfig, type SqliteMetadataConfig } from './config';
export { sqliteMetadataStoreAdapter } from './adapter';
export { DEFAULT_BUSY_TIMEOUT_MS } from './connection';
export {
  APPLICATION_ID,
  DEFAULT_INDEXED_FIELDS,
  MIGRATIONS,
  SCHEMA_VERSION,
  migrate,
  fieldIndexName,
  type Migration,
} from './schema';
export { encodeKey, decodeKey } from './key-codec';
