/**
 * The portable MetadataStore: validates keys, records and queries before any I/O and maps
 * every driver error to a {@link SomError} (the native error kept as `cause`).
 */
import { allPages } from '../paging';
import { SomError, errorMessage } from '../errors';
import { formatKey, type KeyPath } from '../names';
import type {
  Filter,
  MetadataStoreCapabilities,
  MetadataStoreDriver,
  Query,
  QueryPage,
  RecordData,
  StoredRecord,
} from './driver';

/** Largest page a query returns. */
export const MAX_QUERY_LIMIT = 1000;

/** Field names: letters, digits and `_`, starting with a letter or `_`, at most 128. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const KIND_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const RANGE_OPS = new Set(['<', '<=', '>', '>=']);
const ALL_OPS = new Set(['=', 'in', ...RANGE_OPS]);

/** Throw InvalidArgument unless `key` is a usable record key path. */
export function validateKeyPath(key: unknown): KeyPath {
  const ok =
    Array.isArray(key) &&
    key.length >= 2 &&
    key.length % 2 === 0 &&
    key.every((part, i) =>
      typeof part !== 'string'
        ? false
        : i % 2 === 0
          ? KIND_NAME.test(part)
          : part.length > 0 && Buffer.byteLength(part) <= 1500 && !/^__.*__$/.test(part),
    );
  if (!ok) throw new SomError('InvalidArgument', `invalid record key ${JSON.stringify(key)}`);
  return key as KeyPath;
}

function isScalar(value: unknown): boolean {
  return (
    value === null ||
    ['string', 'boolean'].includes(typeof value) ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function validateValue(value: unknown, where: string, depth = 0): void {
  if (depth > 20) throw new SomError('InvalidArgument', `${where}: nested too deep`);
  if (isScalar(value)) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => validateValue(item, `${where}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value))
      validateValue(item, `${where}.${name}`, depth + 1);
    return;
  }
  throw new SomError(
    'InvalidArgument',
    `${where}: ${String(value)} is not a string, finite number, boolean, null, array or object`,
  );
}

/** Throw InvalidArgument unless `record` has a valid key and JSON-safe fields. */
export function validateRecord(record: StoredRecord): StoredRecord {
  validateKeyPath(record.key);
  if (typeof record.data !== 'object' || record.data === null || Array.isArray(record.data)) {
    throw new SomError(
      'InvalidArgument',
      `record ${formatKey(record.key)}: data must be an object`,
    );
  }
  for (const [field, value] of Object.entries(record.data)) {
    if (!FIELD_NAME.test(field)) {
      throw new SomError(
        'InvalidArgument',
        `record ${formatKey(record.key)}: invalid field name ${JSON.stringify(field)}`,
      );
    }
    validateValue(value, `record ${formatKey(record.key)} field ${field}`);
  }
  return record;
}

function validateFilter(filter: Filter): void {
  if (!FIELD_NAME.test(filter.field)) {
    throw new SomError('InvalidArgument', `invalid query field ${JSON.stringify(filter.field)}`);
  }
  if (!ALL_OPS.has(filter.op)) {
    throw new SomError(
      'InvalidArgument',
      `invalid query operator ${JSON.stringify(filter.op)} on ${filter.field}`,
    );
  }
  if (filter.op === 'in') {
    if (
      !Array.isArray(filter.value) ||
      filter.value.length === 0 ||
      filter.value.length > 30 ||
      !filter.value.every(isScalar)
    ) {
      throw new SomError(
        'InvalidArgument',
        `query ${filter.field} in: want 1 to 30 strings, numbers, booleans or null`,
      );
    }
  } else if (!isScalar(filter.value)) {
    throw new SomError(
      'InvalidArgument',
      `query ${filter.field} ${filter.op}: want a string, finite number, boolean or null`,
    );
  } else if (
    RANGE_OPS.has(filter.op) &&
    (filter.value === null || typeof filter.value === 'boolean')
  ) {
    throw new SomError(
      'InvalidArgument',
      `query ${filter.field} ${filter.op}: ranges take a string or a number`,
    );
  }
}

/** Throw InvalidArgument unless `query` is in the portable subset (see {@link Query}). */
export function validateQuery(query: Query): Query {
  if (!KIND_NAME.test(query.kind))
    throw new SomError('InvalidArgument', `invalid query kind ${JSON.stringify(query.kind)}`);
  if (query.ancestor !== undefined) validateKeyPath(query.ancestor);
  const filters = query.filters ?? [];
  filters.forEach(validateFilter);
  const rangeFields = new Set(filters.filter((f) => RANGE_OPS.has(f.op)).map((f) => f.field));
  if (rangeFields.size > 1) {
    throw new SomError(
      'InvalidArgument',
      `a query may compare only one field by range, not ${[...rangeFields].join(' and ')}`,
    );
  }
  if (query.orderBy !== undefined) {
    if (!FIELD_NAME.test(query.orderBy.field)) {
      throw new SomError(
        'InvalidArgument',
        `invalid order field ${JSON.stringify(query.orderBy.field)}`,
      );
    }
    if (
      query.orderBy.direction !== undefined &&
      !['asc', 'desc'].includes(query.orderBy.direction)
    ) {
      throw new SomError(
        'InvalidArgument',
        `invalid order direction ${JSON.stringify(query.orderBy.direction)}`,
      );
    }
    const [rangeField] = rangeFields;
    if (rangeField !== undefined && rangeField !== query.orderBy.field) {
      throw new SomError(
        'InvalidArgument',
        `a query with a range on ${rangeField} must be ordered by ${rangeField}`,
      );
    }
  }
  if (
    query.limit !== undefined &&
    (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > MAX_QUERY_LIMIT)
  ) {
    throw new SomError(
      'InvalidArgument',
      `invalid query limit ${query.limit}: want 1 to ${MAX_QUERY_LIMIT}`,
    );
  }
  if (
    query.pageToken !== undefined &&
    (typeof query.pageToken !== 'string' || query.pageToken === '')
  ) {
    throw new SomError('InvalidArgument', 'invalid query page token');
  }
  return query;
}

/** The metadata store every other part of som talks to. */
export class MetadataStore {
  /**
   * @param driver the adapter behind this store.
   */
  constructor(readonly driver: MetadataStoreDriver) {}

  /** The driver's readable name. */
  get name(): string {
    return this.driver.name;
  }

  /** The driver's optional features. */
  get capabilities(): MetadataStoreCapabilities {
    return this.driver.capabilities;
  }

  /** The record at `key`, or undefined. */
  async get(key: KeyPath): Promise<StoredRecord | undefined> {
    validateKeyPath(key);
    return this.call(`get ${formatKey(key)}`, () => this.driver.get(key));
  }

  /** The record at `key`; NotFound when absent. */
  async require(key: KeyPath, what = formatKey(key)): Promise<StoredRecord> {
    const record = await this.get(key);
    if (record === undefined) throw new SomError('NotFound', `${what} not found`);
    return record;
  }

  /** The records at `keys`, in order (undefined where absent). */
  async getMany(keys: readonly KeyPath[]): Promise<(StoredRecord | undefined)[]> {
    keys.forEach(validateKeyPath);
    if (keys.length === 0) return [];
    return this.call(`get ${keys.length} records`, () => this.driver.getMany(keys));
  }

  /** Insert or replace one record. */
  async put(key: KeyPath, data: RecordData): Promise<void> {
    const record = validateRecord({ key, data });
    await this.call(`put ${formatKey(key)}`, () => this.driver.put(record));
  }

  /** Insert or replace many records in the batches the backend accepts. */
  async putMany(records: readonly StoredRecord[]): Promise<void> {
    records.forEach(validateRecord);
    if (records.length === 0) return;
    await this.call(`put ${records.length} records`, () => this.driver.putMany(records));
  }

  /** Delete the record at `key` (no error when absent). */
  async delete(key: KeyPath): Promise<void> {
    validateKeyPath(key);
    await this.call(`delete ${formatKey(key)}`, () => this.driver.delete(key));
  }

  /** Delete the records at `keys` (no error for absent ones). */
  async deleteMany(keys: readonly KeyPath[]): Promise<void> {
    keys.forEach(validateKeyPath);
    if (keys.length === 0) return;
    await this.call(`delete ${keys.length} records`, () => this.driver.deleteMany(keys));
  }

  /** One page of a query in the portable subset. */
  async query(query: Query): Promise<QueryPage> {
    validateQuery(query);
    if ((query.filters ?? []).some((f) => f.op === 'in') && !this.capabilities.inFilter) {
      throw new SomError('Unimplemented', `${this.name} cannot filter with "in"`);
    }
    const page = await this.call(`query ${query.kind}`, () => this.driver.query(query));
    if (page.nextPageToken !== undefined && page.nextPageToken === query.pageToken) {
      throw new SomError('Internal', `${this.name} returned the same page token twice`);
    }
    return page;
  }

  /** Every record matching `query` (its `limit` is the page size), page after page. */
  queryAll(query: Omit<Query, 'pageToken'>): AsyncGenerator<StoredRecord> {
    return allPages((pageToken) => this.query({ ...query, ...(pageToken ? { pageToken } : {}) }));
  }

  /** Release the driver's connections. */
  async close(): Promise<void> {
    await this.call('close', async () => this.driver.close?.());
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SomError) throw err;
      throw new SomError(
        this.driver.errorCode(err),
        `${this.name}: ${what}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }
}
