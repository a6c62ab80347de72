/**
 * The in-memory MetadataStore driver: the reference semantics of the portable query subset.
 * For tests and small runs; nothing persists.
 */
import type { ErrorCode } from '../errors';
import type { KeyPath } from '../names';
import type { MetadataStoreDriver, Query, QueryPage, StoredRecord } from './driver';
import { compareForQuery, cursorOf, decodeCursor, encodeCursor, recordMatches } from './semantics';

/** The Map key of a record: JSON keeps `['a/b']` and `['a', 'b']` apart, unlike a joined path. */
function mapKey(key: KeyPath): string {
  return JSON.stringify(key);
}

/** Records in a Map, queried with the reference semantics. */
export class MemoryMetadataDriver implements MetadataStoreDriver {
  readonly name = 'memory';
  readonly capabilities = { inFilter: true };
  private readonly records = new Map<string, StoredRecord>();

  async get(key: KeyPath): Promise<StoredRecord | undefined> {
    const record = this.records.get(mapKey(key));
    return record === undefined ? undefined : structuredClone(record);
  }

  async getMany(keys: readonly KeyPath[]): Promise<(StoredRecord | undefined)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async put(record: StoredRecord): Promise<void> {
    this.records.set(
      mapKey(record.key),
      structuredClone({ key: [...record.key], data: record.data }),
    );
  }

  async putMany(records: readonly StoredRecord[]): Promise<void> {
    for (const record of records) await this.put(record);
  }

  async delete(key: KeyPath): Promise<void> {
    this.records.delete(mapKey(key));
  }

  async deleteMany(keys: readonly KeyPath[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }

  async query(query: Query): Promise<QueryPage> {
    const compare = compareForQuery(query);
    let matches = [...this.records.values()]
      .filter((record) => recordMatches(record, query))
      .sort(compare);
    if (query.pageToken !== undefined) {
      const cursor = decodeCursor(query.pageToken);
      const probe: StoredRecord = {
        key: cursor.key,
        data: query.orderBy ? { [query.orderBy.field]: cursor.value ?? null } : {},
      };
      matches = matches.filter((record) => compare(record, probe) > 0);
    }
    const limit = query.limit ?? matches.length;
    const records = matches.slice(0, limit).map((record) => structuredClone(record));
    const last = records[records.length - 1];
    return matches.length > limit && last !== undefined
      ? { records, nextPageToken: encodeCursor(cursorOf(last, query)) }
      : { records };
  }

  errorCode(): ErrorCode {
    return 'Internal';
  }
}
