/**
 * The Google Cloud Storage ObjectStore driver (`@google-cloud/storage`).
 */
import type { Readable } from 'node:stream';
import {
  IdempotencyStrategy,
  Storage,
  type Bucket,
  type CreateWriteStreamOptions,
  type File,
  type FileMetadata,
  type StorageOptions,
} from '@google-cloud/storage';
import {
  SomError,
  compareObjectKeys,
  type ErrorCode,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectAttributes,
  type ObjectStoreDriver,
  type ObjectSummary,
  type PutOptions,
  type SignedUrlOptions,
} from '@som/core';
import { DEFAULT_RESUMABLE_THRESHOLD, type GcsConfig } from './config';
import { googleCredentials, requireGoogleCredentials } from '@som/google';
import { gcsError, gcsErrorCode } from './errors';
import { decodePageToken, encodePageToken } from './page-token';
import { runUpload, splitHead } from './upload';

/** Default per-request timeout and upload idle deadline. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Hex of a base64 hash as GCS reports it. */
function hexOf(base64: string | undefined): string {
  return base64 ? Buffer.from(base64, 'base64').toString('hex') : '';
}

/** Portable attributes of an object from its GCS resource. */
export function attributesOf(key: string, metadata: FileMetadata): ObjectAttributes {
  const custom = Object.entries(metadata.metadata ?? {}).filter(
    ([, value]) => value !== null && value !== undefined,
  );
  return {
    key,
    size: Number(metadata.size ?? 0),
    md5: hexOf(metadata.md5Hash),
    ...(metadata.crc32c ? { crc32c: metadata.crc32c } : {}),
    contentType: metadata.contentType ?? 'application/octet-stream',
    metadata: Object.fromEntries(custom.map(([name, value]) => [name, String(value)])),
    updated: new Date(metadata.updated ?? metadata.timeCreated ?? 0),
  };
}

/**
 * Resolve once `stream` (a `createReadStream()`) has a successful response: NotFound and
 * other failures reject here, before any byte is handed out.
 */
function opened(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: { statusCode?: number }): void => {
      if ((response.statusCode ?? 0) >= 300) return; // the error follows, with the body's message
      stream.off('error', reject);
      resolve();
    };
    stream.once('response', onResponse);
    stream.once('error', reject);
    stream.read(0); // the request starts on the first read
  });
}

/**
 * Objects in one GCS bucket. Uploads are streamed (resumable from
 * {@link GcsConfig.resumableThresholdBytes}), checked against their MD5 before they are
 * finalised, and never made public: objects get the bucket's default (private) access.
 * Only idempotent requests are retried.
 */
export class GcsObjectDriver implements ObjectStoreDriver {
  /** `storage.google.<bucket>`: a client is named by its bucket. */
  readonly name: string;
  readonly capabilities = {
    signedUrls: true,
    ifNotExists: true,
    copy: true,
    md5FromCaller: true,
    groupCommit: false,
  };
  /** The bucket handle (for tests and tools). */
  readonly bucket: Bucket;
  private readonly threshold: number;
  private readonly timeoutMs: number;

  /** @param config the adapter's settings (see {@link GcsConfig}). */
  constructor(config: GcsConfig) {
    this.name = `storage.google.${config.bucket}`;
    this.threshold = config.resumableThresholdBytes ?? DEFAULT_RESUMABLE_THRESHOLD;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // An emulator needs none; Google's service needs some, checked before any request.
    const emulated = config.apiEndpoint !== undefined || process.env.STORAGE_EMULATOR_HOST;
    const credentials = emulated
      ? googleCredentials(config.keyFilename)
      : requireGoogleCredentials(this.name, config.keyFilename);
    const options: StorageOptions = {
      ...(config.projectId ? { projectId: config.projectId } : {}),
      ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
      ...(credentials ? { credentials: credentials as StorageOptions['credentials'] } : {}),
      timeout: this.timeoutMs,
      retryOptions: {
        // The library reads maxRetries 0 as "default (3)": no retries is autoRetry false.
        autoRetry: config.maxRetries !== 0,
        maxRetries: config.maxRetries ?? 3,
        idempotencyStrategy: IdempotencyStrategy.RetryConditional,
      },
    };
    this.bucket = new Storage(options).bucket(config.bucket);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes> {
    const file = this.bucket.file(key);
    try {
      const { ended, body: bytes } = await splitHead(body, this.threshold);
      await runUpload(bytes, file.createWriteStream(this.uploadOptions(options, !ended)), {
        key,
        expectedMd5: options.md5,
        idleMs: this.timeoutMs,
        signal: options.signal,
      });
    } catch (err) {
      const code = gcsErrorCode(err);
      if (options.ifNotExists && code === 'FailedPrecondition')
        throw new SomError('AlreadyExists', `${this.name}: ${key} already exists`);
      throw gcsError(err, this.name, `write ${key}`, code);
    }
    return attributesOf(key, file.metadata);
  }

  /** Options of an upload: never an ACL (objects stay private), the MD5 for GCS to check. */
  private uploadOptions(options: PutOptions, resumable: boolean): CreateWriteStreamOptions {
    return {
      resumable,
      validation: 'md5',
      // Always explicit: the library would otherwise guess from the key's extension.
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: {
        ...(options.metadata ? { metadata: options.metadata } : {}),
        // GCS itself rejects bytes that do not match.
        ...(options.md5 ? { md5Hash: Buffer.from(options.md5, 'hex').toString('base64') } : {}),
      },
      ...(options.ifNotExists ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
    };
  }

  async get(key: string, options: GetOptions): Promise<Readable> {
    const range = options.range;
    const stream = this.bucket.file(key).createReadStream(
      range
        ? {
            start: range.start,
            ...(range.end !== undefined ? { end: range.end } : {}),
            validation: false,
          }
        : { validation: 'md5' },
    );
    options.signal?.addEventListener(
      'abort',
      () => stream.destroy(new SomError('Canceled', `read of ${key} canceled`)),
      { once: true },
    );
    await this.call(`read ${key}`, () => opened(stream));
    return stream;
  }

  async head(key: string): Promise<ObjectAttributes> {
    const [metadata] = await this.call(`head ${key}`, () => this.bucket.file(key).getMetadata());
    return attributesOf(key, metadata);
  }

  async delete(key: string): Promise<void> {
    await this.call(`delete ${key}`, () => this.bucket.file(key).delete());
  }

  async list(options: ListOptions): Promise<ListPage> {
    const token = options.pageToken === undefined ? undefined : decodePageToken(options.pageToken);
    const [files, next, response] = await this.call(`list ${options.prefix ?? ''}`, () =>
      this.bucket.getFiles({
        autoPaginate: false,
        ...(options.prefix ? { prefix: options.prefix } : {}),
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
        ...(options.pageSize ? { maxResults: options.pageSize } : {}),
        ...(token ? { pageToken: token.gcs } : {}),
      }),
    );
    const objects: ObjectSummary[] = files.map((file: File) => {
      const attributes = attributesOf(file.name, file.metadata);
      return {
        key: file.name,
        size: attributes.size,
        md5: attributes.md5,
        updated: attributes.updated,
      };
    });
    const listed = (response as { prefixes?: unknown } | undefined)?.prefixes;
    const prefixes = (Array.isArray(listed) ? listed : []).filter(
      (prefix): prefix is string =>
        typeof prefix === 'string' &&
        (token?.after === undefined || compareObjectKeys(prefix, token.after) > 0),
    );
    const gcs = (next as { pageToken?: unknown } | null)?.pageToken;
    if (typeof gcs !== 'string' || gcs === '') return { objects, prefixes };
    const after = [...objects.map((o) => o.key), ...prefixes].reduce<string | undefined>(
      (max, entry) => (max === undefined || compareObjectKeys(entry, max) > 0 ? entry : max),
      token?.after,
    );
    return {
      objects,
      prefixes,
      nextPageToken: encodePageToken({ gcs, ...(after !== undefined ? { after } : {}) }),
    };
  }

  async copy(from: string, to: string): Promise<ObjectAttributes> {
    const [copied] = await this.call(`copy ${from} to ${to}`, () =>
      this.bucket.file(from).copy(this.bucket.file(to)),
    );
    return attributesOf(to, copied.metadata);
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    try {
      const [url] = await this.bucket.file(key).getSignedUrl({
        version: 'v4',
        action: options.method === 'GET' ? 'read' : 'write',
        expires: Date.now() + options.expiresInSeconds * 1000,
        ...(options.contentType ? { contentType: options.contentType } : {}),
      });
      return url;
    } catch (err) {
      // Signing happens locally with a key, or through IAM signBlob with other credentials.
      const code = gcsErrorCode(err);
      const hint =
        'signing needs a service-account key (keyFilename) or credentials allowed iam.serviceAccounts.signBlob';
      throw gcsError(
        err,
        this.name,
        `sign a URL for ${key} (${hint})`,
        code === 'Internal' ? 'FailedPrecondition' : code,
      );
    }
  }

  errorCode(err: unknown): ErrorCode {
    return gcsErrorCode(err);
  }

  /** Run a library call, turning its failure into a SomError without request details. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw gcsError(err, this.name, what);
    }
  }
}
