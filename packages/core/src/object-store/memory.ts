/**
 * The in-memory ObjectStore driver: the reference semantics of the driver interface.
 * For tests and small runs; nothing persists.
 */
import { md5Hex } from '../md5';
import { Readable } from 'node:stream';
import { SomError, type ErrorCode } from '../errors';
import type {
  GetOptions,
  ListOptions,
  ListPage,
  ObjectAttributes,
  ObjectStoreDriver,
  ObjectSummary,
  PutOptions,
} from './driver';
import { listingPage } from './listing';

interface StoredObject {
  bytes: Buffer;
  attributes: ObjectAttributes;
}

/** Objects in a Map. */
export class MemoryObjectDriver implements ObjectStoreDriver {
  readonly name = 'memory';
  readonly capabilities = {
    signedUrls: false,
    ifNotExists: true,
    copy: true,
    md5FromCaller: false,
    groupCommit: false,
  };
  private readonly objects = new Map<string, StoredObject>();

  async put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      if (options.signal?.aborted) throw new SomError('Canceled', `write of ${key} canceled`);
      chunks.push(Buffer.from(chunk as Buffer));
    }
    const bytes = Buffer.concat(chunks);
    const md5 = md5Hex(bytes);
    if (options.md5 !== undefined && options.md5 !== md5) {
      throw new SomError(
        'InvalidArgument',
        `md5 mismatch writing ${key}: expected ${options.md5}, received ${md5}`,
      );
    }
    if (options.ifNotExists && this.objects.has(key)) {
      throw new SomError('AlreadyExists', `${key} already exists`);
    }
    const attributes: ObjectAttributes = {
      key,
      size: bytes.length,
      md5,
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: { ...options.metadata },
      updated: new Date(),
    };
    this.objects.set(key, { bytes, attributes });
    return { ...attributes, metadata: { ...attributes.metadata } };
  }

  async get(key: string, options: GetOptions): Promise<Readable> {
    const { bytes } = this.find(key);
    const start = options.range?.start ?? 0;
    const end = options.range?.end === undefined ? bytes.length : options.range.end + 1;
    return Readable.from([bytes.subarray(start, end)]);
  }

  async head(key: string): Promise<ObjectAttributes> {
    const { attributes } = this.find(key);
    return { ...attributes, metadata: { ...attributes.metadata } };
  }

  async delete(key: string): Promise<void> {
    this.find(key);
    this.objects.delete(key);
  }

  async list(options: ListOptions): Promise<ListPage> {
    const summaries: ObjectSummary[] = [...this.objects.values()].map(({ attributes }) => ({
      key: attributes.key,
      size: attributes.size,
      md5: attributes.md5,
      updated: attributes.updated,
    }));
    return listingPage(summaries, options);
  }

  async copy(from: string, to: string): Promise<ObjectAttributes> {
    const source = this.find(from);
    const attributes = {
      ...source.attributes,
      key: to,
      metadata: { ...source.attributes.metadata },
      updated: new Date(),
    };
    this.objects.set(to, { bytes: source.bytes, attributes });
    return { ...attributes };
  }

  errorCode(): ErrorCode {
    return 'Internal';
  }

  private find(key: string): StoredObject {
    const found = this.objects.get(key);
    if (found === undefined) throw new SomError('NotFound', `${key} not found`);
    return found;
  }
}
