/**
 * The Google Cloud Datastore MetadataStore driver (`@google-cloud/datastore`).
 */
import { Datastore, type DatastoreOptions, type Key } from '@google-cloud/datastore';
import {
  withRetries,
  SomError,
  formatKey,
  type ErrorCode,
  type KeyPath,
  type MetadataStoreDriver,
  type Query,
  type QueryPage,
  type StoredRecord,
} from '@som/core';
import { googleCredentials, requireGoogleCredentials } from '@som/google';
import { commitBatches } from './batches';
import type { DatastoreConfig } from './config';
import { RETRYABLE_GRPC_CODES, datastoreErrorCode, grpcCode } from './errors';
import { refineQuery } from './query';
import { fromEntity, toProperties } from './values';

/** Default deadline of one attempt of a call. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Most keys in one lookup. */
const MAX_LOOKUP = 1000;

/** First wait before retrying a call (doubling, with jitter, up to {@link RETRY_MAX_MS}). */
const RETRY_BASE_MS = 100;

/** Longest wait between two attempts of a call. */
const RETRY_MAX_MS = 5_000;

/** The gRPC code of contention (ABORTED): a read meeting it is retried. */
const CONTENTION: ReadonlySet<number> = new Set([10]);

/** A mutation of a commit. */
type Mutation = { upsert: StoredRecord } | { delete: KeyPath };

const keyPathOf = (mutation: Mutation): KeyPath =>
  'upsert' in mutation ? mutation.upsert.key : mutation.delete;

/**
 * Records as Datastore entities keyed by their key paths (`['Collection', c, 'Entity', e,
 * 'Image', i]`, names, never ids), in an optional namespace. Writes of several records
 * commit in transactions of at most 500 mutations (and 25 entity groups), retried on
 * contention or an unavailable server; reads are retried on contention too (an ancestor
 * query meets it as a commit does, in the emulator and in Datastore's legacy mode), and
 * on an unavailable server by the client library itself. See `values.ts` for how fields
 * are stored and indexed, `query.ts` for queries.
 */
export class DatastoreMetadataDriver implements MetadataStoreDriver {
  readonly name: string;
  /** `in` is sent as Datastore's IN (the emulator rejects IN with more than one value). */
  readonly capabilities = { inFilter: true };
  /** The client (for tests and tools). */
  readonly datastore: Datastore;
  private readonly namespace: string | undefined;
  /** Every call's options: a deadline per attempt, and bounded retries of reads. */
  private readonly gaxOptions: { timeout: number; maxRetries: number };
  private readonly maxRetries: number;

  /** @param config the adapter's settings (see {@link DatastoreConfig}). */
  constructor(config: DatastoreConfig = {}) {
    this.namespace = config.namespace;
    this.maxRetries = config.maxRetries ?? 5;
    this.gaxOptions = {
      timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: this.maxRetries,
    };
    const apiEndpoint =
      config.apiEndpoint ?? (config.emulatorHost ? `http://${config.emulatorHost}` : undefined);
    // An emulator needs none; Google's service needs some, checked before any request.
    const credentials =
      apiEndpoint || process.env.DATASTORE_EMULATOR_HOST
        ? googleCredentials(config.keyFilename)
        : requireGoogleCredentials('datastore', config.keyFilename);
    const options: DatastoreOptions & Record<`grpc.${string}`, number> = {
      // Reconnect soon after a server comes back (gRPC's default backoff grows to 120 s),
      // and never share a connection (and its backoff) with another client in the process.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 5000,
      'grpc.use_local_subchannel_pool': 1,
      ...(config.projectId ? { projectId: config.projectId } : {}),
      ...(config.namespace ? { namespace: config.namespace } : {}),
      // Another endpoint (an emulator): the client would otherwise look for credentials, up
      // to the metadata server, only to learn the universe domain.
      ...(apiEndpoint || process.env.DATASTORE_EMULATOR_HOST
        ? { apiEndpoint, universeDomain: 'googleapis.com' }
        : {}),
      ...(credentials ? { credentials: credentials as DatastoreOptions['credentials'] } : {}),
    };
    this.datastore = new Datastore(options);
    const project = config.projectId ?? process.env.DATASTORE_PROJECT_ID;
    this.name = `datastore.google${project ? `.${project}` : ''}${config.namespace ? `/${config.namespace}` : ''}`;
  }

  async get(key: KeyPath): Promise<StoredRecord | undefined> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: readonly KeyPath[]): Promise<(StoredRecord | undefined)[]> {
    const found = new Map<string, StoredRecord>();
    for (let start = 0; start < keys.length; start += MAX_LOOKUP) {
      const chunk = keys.slice(start, start + MAX_LOOKUP).map((key) => this.keyOf(key));
      const [entities] = await this.retried(
        () => this.datastore.get(chunk, { gaxOptions: this.gaxOptions }),
        CONTENTION,
      );
      for (const entity of entities as Record<string | symbol, unknown>[]) {
        const record = this.recordOf(entity);
        found.set(formatKey(record.key), record);
      }
    }
    return keys.map((key) => found.get(formatKey(key)));
  }

  async put(record: StoredRecord): Promise<void> {
    await this.commit([{ upsert: record }]);
  }

  async putMany(records: readonly StoredRecord[]): Promise<void> {
    for (const batch of commitBatches(
      records.map((upsert) => ({ upsert })),
      keyPathOf,
    ))
      await this.commit(batch);
  }

  async delete(key: KeyPath): Promise<void> {
    await this.commit([{ delete: key }]);
  }

  async deleteMany(keys: readonly KeyPath[]): Promise<void> {
    for (const batch of commitBatches(
      keys.map((key) => ({ delete: key })),
      keyPathOf,
    ))
      await this.commit(batch);
  }

  async query(query: Query): Promise<QueryPage> {
    let base = this.datastore.createQuery(this.namespace ?? '', query.kind);
    if (query.ancestor !== undefined) base = base.hasAncestor(this.keyOf(query.ancestor));
    let response;
    try {
      const refined = refineQuery(base, query);
      response = await this.retried(
        () => this.datastore.runQuery(refined, { gaxOptions: this.gaxOptions }),
        CONTENTION,
      );
    } catch (err) {
      if (grpcCode(err) === 9) {
        throw new SomError(
          'FailedPrecondition',
          `${this.name}: query ${query.kind}: ${String((err as Error).message)} (deploy the indexes of som-datastore-indexes)`,
          { cause: err },
        );
      }
      throw err;
    }
    const [entities, info] = response;
    const records = (entities as Record<string | symbol, unknown>[]).map((entity) =>
      this.recordOf(entity),
    );
    const more =
      query.limit !== undefined &&
      records.length === query.limit &&
      info.moreResults !== 'NO_MORE_RESULTS';
    return more && info.endCursor ? { records, nextPageToken: info.endCursor } : { records };
  }

  errorCode(err: unknown): ErrorCode {
    return datastoreErrorCode(err);
  }

  /** Close the gRPC channels the client opened (it opens them on first use). */
  async close(): Promise<void> {
    const clients = [...this.datastore.clients_.values()];
    this.datastore.clients_.clear();
    await Promise.all(clients.map((client) => client.close()));
  }

  /**
   * Commit `mutations` (one: as is; several: in a transaction, all or none), retrying on
   * contention or an unavailable server: upserts and deletes are idempotent.
   */
  private async commit(mutations: readonly Mutation[]): Promise<void> {
    const upserts = mutations.flatMap((m) =>
      'upsert' in m
        ? [{ key: this.keyOf(m.upsert.key), data: toProperties(m.upsert.data), method: 'upsert' }]
        : [],
    );
    const deletes = mutations.flatMap((m) => ('delete' in m ? [this.keyOf(m.delete)] : []));
    await this.retried(async () => {
      if (mutations.length === 1) {
        await (upserts.length
          ? this.datastore.save(upserts, this.gaxOptions)
          : this.datastore.delete(deletes, this.gaxOptions));
      } else {
        await this.inTransaction(upserts, deletes);
      }
    }, RETRYABLE_GRPC_CODES);
  }

  /** `call`, retried while it fails with one of the gRPC `codes` and attempts remain. */
  private async retried<T>(call: () => Promise<T>, codes: ReadonlySet<number>): Promise<T> {
    return withRetries(call, {
      policy: {
        maxAttempts: this.maxRetries + 1,
        baseDelayMs: RETRY_BASE_MS,
        maxDelayMs: RETRY_MAX_MS,
      },
      retryable: (err) => {
        const code = grpcCode(err);
        return code !== undefined && codes.has(code);
      },
    });
  }

  private async inTransaction(upserts: readonly object[], deletes: readonly Key[]): Promise<void> {
    const transaction = this.datastore.transaction();
    await transaction.run({ gaxOptions: this.gaxOptions });
    try {
      if (upserts.length) transaction.save([...upserts]);
      if (deletes.length) transaction.delete([...deletes]);
      await transaction.commit(this.gaxOptions);
    } catch (err) {
      await transaction.rollback().catch(() => undefined);
      throw err;
    }
  }

  private keyOf(path: KeyPath): Key {
    return this.datastore.key({
      ...(this.namespace ? { namespace: this.namespace } : {}),
      path: [...path],
    });
  }

  private recordOf(entity: Record<string | symbol, unknown>): StoredRecord {
    const key = entity[Datastore.KEY] as Key;
    const path = key.path.map(String);
    return { key: path, data: fromEntity(entity as Record<string, unknown>, formatKey(path)) };
  }
}
