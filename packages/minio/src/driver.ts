/**
 * The MinIO / S3 ObjectStore driver (minio 8 client): any S3 server, e.g. MinIO, AWS S3,
 * Ceph RGW, Cloudflare R2, OpenStack Swift's s3api. See `docs/minio.md`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { Client } from 'minio';
import {
  SomError,
  md5OfStream,
  type ErrorCode,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectAttributes,
  type ObjectStoreCapabilities,
  type ObjectStoreDriver,
  type PutOptions,
  type SignedUrlOptions,
  type StoreConfig,
} from '@som/core';
import {
  resolveCredentials,
  resolveMinioConfig,
  type MinioConfig,
  type ResolvedMinioConfig,
} from './config';
import { s3ErrorCode } from './errors';
import { md5Of, parseListObjectsV2 } from './listing';
import { MD5_HEADER, metadataOf } from './metadata';
import { BucketRequests } from './requests';
import { withRetries } from './retry';
import { timedTransport } from './transport';
import { DEFAULT_CONTENT_TYPE, uploadObject } from './upload';

/** Region a bucket is created in when none is configured. */
const DEFAULT_REGION = 'us-east-1';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** An object store on one S3 bucket. Credentials are held privately: never in `name`, errors, logs or `inspect`. */
export class MinioObjectDriver implements ObjectStoreDriver {
  /** `minio:<scheme>://<host>:<port>/<bucket>`. */
  readonly name: string;
  /** Signed URLs and copy always; create-if-absent when the server enforces conditional writes. */
  readonly capabilities: ObjectStoreCapabilities;
  readonly #settings: ResolvedMinioConfig;
  readonly #requests: BucketRequests;
  readonly #closeConnections: () => void;
  #bucketReady: Promise<void> | undefined;

  /**
   * @param config the settings (see {@link MinioConfig}); InvalidArgument naming the first bad one.
   * @param env where credentials are looked up when the settings have none.
   */
  constructor(config: MinioConfig | StoreConfig, env: NodeJS.ProcessEnv = process.env) {
    const storeConfig = config as StoreConfig;
    const settings = resolveMinioConfig(storeConfig);
    const credentials = resolveCredentials(storeConfig, env);
    const { transport, agent } = timedTransport(settings.useSSL, settings.timeoutMs);
    const client = new Client({
      endPoint: settings.host,
      port: settings.port,
      useSSL: settings.useSSL,
      pathStyle: settings.pathStyle,
      ...(settings.region === undefined ? {} : { region: settings.region }),
      ...credentials,
      transport,
      transportAgent: agent,
      retryOptions: { disableRetry: true }, // retried here, for idempotent requests only
    });
    this.#settings = settings;
    this.#requests = new BucketRequests(client, settings.bucket, settings.region ?? DEFAULT_REGION);
    this.#closeConnections = () => agent.destroy();
    this.name = `minio:${settings.useSSL ? 'https' : 'http'}://${settings.host}:${settings.port}/${settings.bucket}`;
    this.capabilities = {
      signedUrls: true,
      ifNotExists: settings.conditionalWrites,
      copy: true,
      md5FromCaller: true,
      groupCommit: false,
    };
  }

  /** Shows the name only (`util.inspect`, `console.log`). */
  [inspect.custom](): string {
    return `MinioObjectDriver(${this.name})`;
  }

  /** Write `body` to `key` in one PUT or a multipart upload (see `upload.ts`). */
  async put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes> {
    await this.bucketReady();
    return uploadObject(this.#requests, key, body, options, this.#settings);
  }

  /** The object's bytes (or a range) as the response stream. */
  async get(key: string, options: GetOptions): Promise<Readable> {
    await this.bucketReady();
    const stream = await this.retry(() => this.#requests.get(key, options.range));
    const { signal } = options;
    if (signal !== undefined) {
      const cancel = (): void => {
        stream.destroy(new SomError('Canceled', `read of ${key} canceled`));
      };
      if (signal.aborted) cancel();
      signal.addEventListener('abort', cancel, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', cancel));
    }
    return stream;
  }

  /** The object's attributes; its md5 from `x-amz-meta-som-md5`, else the ETag, else its bytes. */
  async head(key: string): Promise<ObjectAttributes> {
    await this.bucketReady();
    const headers = await this.retry(() => this.#requests.head(key));
    const md5 =
      md5Of(header(headers, MD5_HEADER)) ??
      md5Of(header(headers, 'etag')) ??
      (await this.md5OfContent(key));
    const modified = header(headers, 'last-modified');
    return {
      key,
      size: Number(header(headers, 'content-length') ?? 0),
      md5,
      contentType: header(headers, 'content-type') ?? DEFAULT_CONTENT_TYPE,
      metadata: metadataOf(headers),
      updated: modified === undefined ? new Date() : new Date(modified),
    };
  }

  /** Delete the object; NotFound when absent. */
  async delete(key: string): Promise<void> {
    // S3 deletes answer 204 for absent keys too: the interface wants NotFound.
    await this.bucketReady();
    await this.retry(() => this.#requests.head(key));
    await this.retry(() => this.#requests.delete(key));
  }

  /** One ListObjectsV2 page. */
  async list(options: ListOptions): Promise<ListPage> {
    await this.bucketReady();
    const xml = await this.retry(() =>
      this.#requests.listObjectsV2(
        options.prefix ?? '',
        options.delimiter ?? '',
        options.pageSize ?? 1000,
        options.pageToken,
      ),
    );
    return parseListObjectsV2(xml);
  }

  /** Server-side copy, keeping content type, metadata and md5. */
  async copy(from: string, to: string): Promise<ObjectAttributes> {
    await this.bucketReady();
    await this.retry(() => this.#requests.copy(from, to, {}));
    return this.head(to);
  }

  /** A presigned GET or PUT URL. */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    await this.bucketReady();
    return this.#requests.presign(options.method, key, options.expiresInSeconds);
  }

  /** The portable code of a native error (see `errors.ts`). */
  errorCode(err: unknown): ErrorCode {
    return s3ErrorCode(err);
  }

  /** Close the kept-alive connections. */
  async close(): Promise<void> {
    this.#closeConnections();
  }

  private retry<T>(request: () => Promise<T>): Promise<T> {
    return withRetries(this.#settings.maxRetries, request);
  }

  /**
   * The md5 of an object written without one by another tool as a multipart upload (its
   * ETag is not an md5): read and hashed, as nothing else gives it.
   */
  private async md5OfContent(key: string): Promise<string> {
    return md5OfStream(await this.retry(() => this.#requests.get(key, undefined)));
  }

  /** Check once that the bucket exists (creating it when `createBucket` is set); retried after a failure. */
  private bucketReady(): Promise<void> {
    this.#bucketReady ??= this.checkBucket().catch((err: unknown) => {
      this.#bucketReady = undefined;
      throw err;
    });
    return this.#bucketReady;
  }

  private async checkBucket(): Promise<void> {
    const { bucket, createBucket } = this.#settings;
    if (await this.retry(() => this.#requests.bucketExists())) return;
    if (!createBucket) {
      throw new SomError(
        'NotFound',
        `bucket "${bucket}" does not exist on ${this.name}: create it, or set the minio setting "createBucket": true`,
      );
    }
    try {
      await this.#requests.createBucket();
    } catch (err) {
      // created meanwhile by another client of ours
      if ((err as { code?: unknown }).code !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }
}
