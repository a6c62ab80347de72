/**
 * The MetadataStore driver interface: what a records adapter (SQLite, Datastore, memory)
 * implements. Callers use the portable {@link MetadataStore} in front of it.
 */
import type { ErrorCode } from '../errors';
import type { KeyPath } from '../names';

/** A value a record field holds: JSON values. Numbers and strings never compare equal. */
export type FieldValue =
  string | number | boolean | null | FieldValue[] | { [field: string]: FieldValue };

/** The fields of a record. */
export type RecordData = Record<string, FieldValue>;

/** A stored record: its key path and fields. */
export interface StoredRecord {
  /** `['Collection', c, 'Entity', e, 'Image', i]` and its shorter forms. */
  key: KeyPath;
  /** Fields. */
  data: RecordData;
}

/** A comparison of the portable query subset. */
export type FilterOp = '=' | '<' | '<=' | '>' | '>=' | 'in';

/** The scalar values filters compare with. */
export type ScalarValue = string | number | boolean | null;

/** One `field op value` condition; `in` takes an array of scalars. */
export interface Filter {
  field: string;
  op: FilterOp;
  value: ScalarValue | ScalarValue[];
}

/** Sort order of a query. */
export interface OrderBy {
  field: string;
  direction?: 'asc' | 'desc';
}

/**
 * The portable query subset (Go CDK docstore / Datastore): records of one kind, an AND of
 * filters, one order, a limit and an opaque page token, optionally under an ancestor.
 * A filter matches only values of the same type as its value: 7 never equals "7", and a
 * range on numbers never matches strings. Records without the field never match a filter.
 */
export interface Query {
  /** `Collection`, `Entity` or `Image` (any kind name the driver stores). */
  kind: string;
  /** Only records whose key path starts with this (a proper ancestor). */
  ancestor?: KeyPath;
  /** All must hold. Range operators may name at most one field. */
  filters?: Filter[];
  /** One sort field; with a range filter it must be that filter's field. Ties: key order. */
  orderBy?: OrderBy;
  /** Most records in one page. */
  limit?: number;
  /** Token of the page to read, from the previous page. */
  pageToken?: string;
}

/** One page of query results. */
export interface QueryPage {
  /** Matching records, in order. */
  records: StoredRecord[];
  /** Present when more records may follow. */
  nextPageToken?: string;
}

/** Optional features of a metadata driver. */
export interface MetadataStoreCapabilities {
  /** Query filters with `in`. */
  inFilter: boolean;
}

/** What a metadata store adapter implements. */
export interface MetadataStoreDriver {
  /** A readable name, e.g. `sqlite:/data/som/som.db`. Never a secret. */
  readonly name: string;
  /** Optional features. */
  readonly capabilities: MetadataStoreCapabilities;
  /** The record at `key`, or undefined. */
  get(key: KeyPath): Promise<StoredRecord | undefined>;
  /** The records at `keys`, in the same order (undefined where absent). */
  getMany(keys: readonly KeyPath[]): Promise<(StoredRecord | undefined)[]>;
  /** Insert or replace one record. */
  put(record: StoredRecord): Promise<void>;
  /** Insert or replace many records, in batches the backend accepts; all or none per batch. */
  putMany(records: readonly StoredRecord[]): Promise<void>;
  /** Delete the record at `key` (no error when absent). */
  delete(key: KeyPath): Promise<void>;
  /** Delete many records (no error for absent ones). */
  deleteMany(keys: readonly KeyPath[]): Promise<void>;
  /** One page of a query; the portable layer has validated it. */
  query(query: Query): Promise<QueryPage>;
  /** The portable code of a native error this driver threw (Internal when unknown). */
  errorCode(err: unknown): ErrorCode;
  /** Release connections and handles. */
  close?(): Promise<void>;
}
