/**
 * The ObjectStore driver interface: what an adapter (fs, GCS, S3, memory) implements.
 * Callers never use a driver directly: the portable {@link ObjectStore} in front of it
 * validates arguments and maps every error to a {@link SomError}.
 */
import type { Readable } from 'node:stream';
import type { ErrorCode } from '../errors';

/** User metadata of an object: string keys and values. */
export type ObjectMetadata = Record<string, string>;

/** What a store knows of one object. */
export interface ObjectAttributes {
  /** The object's key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** MD5 of the content, lowercase hex. */
  md5: string;
  /** CRC32C of the content, base64 (as GCS gives it), where the store keeps one. */
  crc32c?: string;
  /** The content type given at upload (default `application/octet-stream`). */
  contentType: string;
  /** User metadata given at upload. */
  metadata: ObjectMetadata;
  /** When the object was last written. */
  updated: Date;
}

/** One object in a listing. */
export interface ObjectSummary {
  /** The object's key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** MD5 of the content, lowercase hex, where the listing gives it. */
  md5?: string;
  /** When the object was last written, where the listing gives it. */
  updated?: Date;
}

/** Options of a write. */
export interface PutOptions {
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
  /** User metadata. */
  metadata?: ObjectMetadata;
  /**
   * Expected MD5 of the content (lowercase hex). When the bytes received do not match,
   * the write fails with InvalidArgument and nothing is stored (any previous object stays).
   */
  md5?: string;
  /** Create only: fail with AlreadyExists when the key exists (capability `ifNotExists`). */
  ifNotExists?: boolean;
  /** Abort the write; nothing is stored. */
  signal?: AbortSignal;
  /**
   * When the object must be durable (survive a crash of the machine): `now` (the default)
   * before the put resolves; `deferred` by the next {@link ObjectStoreDriver.flush} at the
   * latest, so that a store can make a batch of objects durable together (a group commit).
   * A deferred object is stored all the same: readable, listed and replaced like any other.
   * Stores durable on acknowledgement (capability `groupCommit` false) treat both alike.
   */
  durable?: Durability;
}

/** When a put's object must be durable: see {@link PutOptions.durable}. */
export type Durability = 'now' | 'deferred';

/** A byte range of an object: `start` to `end` inclusive (end omitted: to the last byte). */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Options of a read. */
export interface GetOptions {
  /** Read only this range. */
  range?: ByteRange;
  /** Abort the read. */
  signal?: AbortSignal;
}

/** Options of one page of a listing. */
export interface ListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /**
   * Group keys that contain this after the prefix into one "common prefix" each
   * (prefix + text up to and including the delimiter), as GCS and S3 do.
   */
  delimiter?: string;
  /** Most entries (objects + prefixes) in the page; drivers may return fewer. */
  pageSize?: number;
  /** Token of the page to read, from the previous page's `nextPageToken`. */
  pageToken?: string;
}

/** One page of a listing, in key order. */
export interface ListPage {
  /** Objects in this page. */
  objects: ObjectSummary[];
  /** Common prefixes in this page (with a delimiter). */
  prefixes: string[];
  /** Present when more pages follow. */
  nextPageToken?: string;
}

/** Method of a signed URL. */
export type SignedUrlMethod = 'GET' | 'PUT';

/** Options of a signed URL. */
export interface SignedUrlOptions {
  /** GET to read, PUT to write. */
  method: SignedUrlMethod;
  /** Lifetime in seconds. */
  expiresInSeconds: number;
  /** For PUT: the content type the uploader must send. */
  contentType?: string;
}

/** Optional features; an absent one makes the portable layer answer Unimplemented. */
export interface ObjectStoreCapabilities {
  /** `signedUrl` works. */
  signedUrls: boolean;
  /** `PutOptions.ifNotExists` is enforced atomically. */
  ifNotExists: boolean;
  /** `copy` works server side. */
  copy: boolean;
  /**
   * A put should carry the MD5 of its bytes, computed by the caller: the store is reached over
   * a network and checks what it received against it. (A store in this process computes the
   * MD5 of what it writes itself: hashing beforehand would only cost time.)
   */
  md5FromCaller: boolean;
  /**
   * A put with `durable: 'deferred'` resolves before its object is durable, and `flush`
   * makes every such put durable together (a group commit: one durability point for many
   * objects instead of one per object). Without it every put is durable when it resolves
   * (a remote store, which is durable on acknowledgement) and `flush` has nothing to do.
   */
  groupCommit: boolean;
}

/** What an object store adapter implements. */
export interface ObjectStoreDriver {
  /** A readable name, e.g. `fs:/data/som` or `storage.google.radiology`. Never a secret. */
  readonly name: string;
  /** Optional features this driver (and its server) has. */
  readonly capabilities: ObjectStoreCapabilities;
  /** Write `body` to `key`, streaming; replaces any object at `key` unless `ifNotExists`. */
  put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes>;
  /** A stream of the object's bytes (NotFound when absent: raised before the promise resolves). */
  get(key: string, options: GetOptions): Promise<Readable>;
  /** The object's attributes (NotFound when absent). */
  head(key: string): Promise<ObjectAttributes>;
  /** Delete the object (NotFound when absent). */
  delete(key: string): Promise<void>;
  /** One page of keys in lexicographic (UTF-8 byte) order. */
  list(options: ListOptions): Promise<ListPage>;
  /** Copy `from` to `to` server side (capability `copy`). */
  copy?(from: string, to: string): Promise<ObjectAttributes>;
  /** A URL that reads or writes `key` without credentials (capability `signedUrls`). */
  signedUrl?(key: string, options: SignedUrlOptions): Promise<string>;
  /** The portable code of a native error this driver threw (Internal when unknown). */
  errorCode(err: unknown): ErrorCode;
  /**
   * Make every put acknowledged before this call durable, also those made with
   * `durable: 'deferred'` (capability `groupCommit`); rejects when one of them could not be
   * made durable (its object may then be lost by a crash of the machine).
   */
  flush?(): Promise<void>;
  /** Release connections and handles (after making deferred puts durable). */
  close?(): Promise<void>;
}
