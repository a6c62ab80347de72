/**
 * The portable ObjectStore: validates arguments before any I/O, checks capabilities,
 * and maps every driver error to a {@link SomError} (the native error kept as `cause`).
 */
import { Readable } from 'node:stream';
import { SomError, errorMessage } from '../errors';
import type {
  ByteRange,
  GetOptions,
  ListOptions,
  ListPage,
  ObjectAttributes,
  ObjectStoreCapabilities,
  ObjectStoreDriver,
  ObjectSummary,
  PutOptions,
  SignedUrlOptions,
} from './driver';

/** Longest key in UTF-8 bytes (the GCS and S3 limit). */
export const MAX_KEY_BYTES = 1024;

/** Largest page a listing asks a driver for. */
export const MAX_PAGE_SIZE = 1000;

const MD5_HEX = /^[0-9a-f]{32}$/;

/** Throw InvalidArgument unless `key` is a usable object key. */
export function validateObjectKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new SomError('InvalidArgument', `invalid object key ${JSON.stringify(key)}: empty`);
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new SomError('InvalidArgument', `invalid object key: longer than ${MAX_KEY_BYTES} bytes`);
  }
  // Control characters (incl. NUL, CR, LF) and lone surrogates cannot be stored portably.
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key) || !key.isWellFormed()) {
    throw new SomError(
      'InvalidArgument',
      `invalid object key ${JSON.stringify(key)}: control character or invalid Unicode`,
    );
  }
  return key;
}

function validateRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) throw new SomError('InvalidArgument', `invalid byte range ${JSON.stringify(range)}`);
}

function validatePutOptions(options: PutOptions): void {
  if (
    options.durable !== undefined &&
    options.durable !== 'now' &&
    options.durable !== 'deferred'
  ) {
    throw new SomError(
      'InvalidArgument',
      `invalid durable ${JSON.stringify(options.durable)}: want "now" or "deferred"`,
    );
  }
  if (options.md5 !== undefined && !MD5_HEX.test(options.md5)) {
    throw new SomError(
      'InvalidArgument',
      `invalid md5 ${JSON.stringify(options.md5)}: want 32 lowercase hex digits`,
    );
  }
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    if (!/^[a-z0-9_-]+$/i.test(name) || typeof value !== 'string') {
      throw new SomError(
        'InvalidArgument',
        `invalid metadata field ${JSON.stringify(name)}: use letters, digits, - and _ with string values`,
      );
    }
  }
}

/** The object store every other part of som talks to. */
export class ObjectStore {
  /**
   * @param driver the adapter behind this store.
   */
  constructor(readonly driver: ObjectStoreDriver) {}

  /** The driver's readable name. */
  get name(): string {
    return this.driver.name;
  }

  /** The driver's optional features. */
  get capabilities(): ObjectStoreCapabilities {
    return this.driver.capabilities;
  }

  /** Write a stream, buffer or string to `key`; see {@link PutOptions}. */
  async put(
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<ObjectAttributes> {
    validateObjectKey(key);
    validatePutOptions(options);
    if (options.ifNotExists && !this.capabilities.ifNotExists) {
      throw new SomError('Unimplemented', `${this.name} cannot create objects only if absent`);
    }
    const stream =
      typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
    return this.call(`put ${key}`, () => this.driver.put(key, stream, options));
  }

  /** A stream of the object's bytes (or of `options.range`); NotFound when absent. */
  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    validateObjectKey(key);
    validateRange(options.range);
    const stream = await this.call(`get ${key}`, () => this.driver.get(key, options));
    return this.wrapStream(stream, `read ${key}`);
  }

  /** The whole object (or range) in memory: for small objects only. */
  async getBuffer(key: string, options: GetOptions = {}): Promise<Buffer> {
    const stream = await this.get(key, options);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The object's attributes; NotFound when absent. */
  async head(key: string): Promise<ObjectAttributes> {
    validateObjectKey(key);
    return this.call(`head ${key}`, () => this.driver.head(key));
  }

  /** The object's attributes, or undefined when absent. */
  async tryHead(key: string): Promise<ObjectAttributes | undefined> {
    try {
      return await this.head(key);
    } catch (err) {
      if (err instanceof SomError && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** True when an object is stored at `key`. */
  async exists(key: string): Promise<boolean> {
    return (await this.tryHead(key)) !== undefined;
  }

  /** Delete the object; NotFound when absent unless `ignoreMissing`. */
  async delete(key: string, options: { ignoreMissing?: boolean } = {}): Promise<void> {
    validateObjectKey(key);
    try {
      await this.call(`delete ${key}`, () => this.driver.delete(key));
    } catch (err) {
      if (options.ignoreMissing && err instanceof SomError && err.code === 'NotFound') return;
      throw err;
    }
  }

  /** One page of a listing. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    if (options.prefix !== undefined && options.prefix !== '') validateObjectKey(options.prefix);
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new SomError(
        'InvalidArgument',
        `invalid page size ${pageSize}: want 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    const page = await this.call(`list ${options.prefix ?? ''}`, () =>
      this.driver.list({ ...options, pageSize }),
    );
    if (page.nextPageToken !== undefined && page.nextPageToken === options.pageToken) {
      throw new SomError(
        'Internal',
        `${this.name} returned the same page token twice while listing`,
      );
    }
    return page;
  }

  /** Every object under `prefix`, page after page, in key order. */
  async *listAll(prefix = '', pageSize = MAX_PAGE_SIZE): AsyncGenerator<ObjectSummary> {
    let pageToken: string | undefined;
    do {
      const page = await this.list({ prefix, pageSize, ...(pageToken ? { pageToken } : {}) });
      yield* page.objects;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }

  /** Copy `from` to `to` server side; Unimplemented where the driver cannot. */
  async copy(from: string, to: string): Promise<ObjectAttributes> {
    validateObjectKey(from);
    validateObjectKey(to);
    const copy = this.driver.copy?.bind(this.driver);
    if (!this.capabilities.copy || copy === undefined) {
      throw new SomError('Unimplemented', `${this.name} cannot copy objects`);
    }
    return this.call(`copy ${from} to ${to}`, () => copy(from, to));
  }

  /** A URL that reads or writes `key` without credentials; Unimplemented where unsupported. */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    validateObjectKey(key);
    const sign = this.driver.signedUrl?.bind(this.driver);
    if (!this.capabilities.signedUrls || sign === undefined) {
      throw new SomError('Unimplemented', `${this.name} cannot sign URLs`);
    }
    if (
      !Number.isSafeInteger(options.expiresInSeconds) ||
      options.expiresInSeconds < 1 ||
      options.expiresInSeconds > 604800
    ) {
      throw new SomError('InvalidArgument', 'signed URL lifetime must be 1 to 604800 seconds');
    }
    return this.call(`sign ${key}`, () => sign(key, options));
  }

  /**
   * Make every put that resolved before this call durable, also those made with
   * `durable: 'deferred'` (see {@link PutOptions.durable}): one durability point for a batch
   * of objects, passed before the records that name them are written. Nothing to do for a
   * store without the capability `groupCommit` (durable on acknowledgement).
   */
  async flush(): Promise<void> {
    if (!this.capabilities.groupCommit) return;
    const flush = this.driver.flush?.bind(this.driver);
    if (flush === undefined)
      throw new SomError('Internal', `${this.name} defers durability but cannot flush`);
    await this.call('flush', flush);
  }

  /** Release the driver's connections (deferred puts are made durable first). */
  async close(): Promise<void> {
    await this.call('close', async () => this.driver.close?.());
  }

  /** Map a driver failure to a SomError naming `what`. */
  toError(err: unknown, what: string): SomError {
    if (err instanceof SomError) return err;
    const code = this.driver.errorCode(err);
    return new SomError(code, `${this.name}: ${what}: ${errorMessage(err)}`, { cause: err });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.toError(err, what);
    }
  }

  /** Pass a driver's stream through, turning its errors into SomErrors. */
  private wrapStream(stream: Readable, what: string): Readable {
    const out = new Readable({
      read: () => {
        stream.resume();
      },
      destroy: (err, callback) => {
        stream.destroy();
        callback(err);
      },
    });
    stream.on('data', (chunk: Buffer) => {
      if (!out.push(chunk)) stream.pause();
    });
    stream.once('end', () => out.push(null));
    stream.once('error', (err) => out.destroy(this.toError(err, what)));
    return out;
  }
}
