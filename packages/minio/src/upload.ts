/**
 * Streaming writes with the md5 checked and nothing stored on failure:
 * - up to one part: one PUT whose Content-MD5 is the caller's md5 (or the computed one), so
 *   the server rejects bytes that do not match;
 * - larger, md5 given: a multipart upload to the key itself, each part with its own
 *   Content-MD5, the whole md5 compared before completing (a mismatch aborts the upload:
 *   nothing is stored, a previous object stays);
 * - larger, md5 not given: the same to a temporary key under {@link TEMP_PREFIX}, then a
 *   server-side copy to the key carrying the md5 computed meanwhile (S3 metadata is fixed
 *   when an upload starts), then the temporary object is deleted.
 * Every object gets its md5 in `x-amz-meta-som-md5` (a multipart ETag is not an md5).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  SomError,
  md5Hex,
  type ObjectAttributes,
  type ObjectMetadata,
  type PutOptions,
} from '@som/core';
import { MD5_HEADER, metadataHeaders } from './metadata';
import { PartReader, type Part } from './parts';
import type { BucketRequests, RequestHeaders, UploadedPart } from './requests';
import { withRetries } from './retry';

/** Where multipart uploads without a known md5 are written before being copied to their key. */
export const TEMP_PREFIX = '.som-tmp/';

/** Most parts of one multipart upload (the S3 limit). */
export const MAX_PARTS = 10_000;

/** Content type of objects written without one. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** How uploads are made. */
export interface UploadSettings {
  /** Bytes per part; objects up to this size go in one PUT. */
  partSize: number;
  /** Retries of idempotent requests. */
  maxRetries: number;
}

const IF_NONE_MATCH: RequestHeaders = { 'if-none-match': '*' };

function base64OfHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** What an object is written with: its content type, its md5 and the user metadata. */
function objectHeaders(contentType: string, md5: string, metadata: ObjectMetadata): RequestHeaders {
  return { 'content-type': contentType, [MD5_HEADER]: md5, ...metadataHeaders(metadata) };
}

function mismatch(key: string, expected: string, received: string): SomError {
  return new SomError(
    'InvalidArgument',
    `md5 mismatch writing ${key}: expected ${expected}, received ${received}; nothing was stored`,
  );
}

/** Turn the S3 answers that have a meaning for this write into their SomError. */
function asPutError(err: unknown, key: string, options: PutOptions): unknown {
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (
    options.ifNotExists &&
    (code === 'PreconditionFailed' || code === 'ConditionalRequestConflict')
  ) {
    return new SomError('AlreadyExists', `${key} already exists`, { cause: err });
  }
  if (code === 'BadDigest' && options.md5 !== undefined) {
    return new SomError(
      'InvalidArgument',
      `md5 mismatch writing ${key}: the bytes received do not have md5 ${options.md5}; nothing was stored`,
      { cause: err },
    );
  }
  return err;
}

/** One object write; see the module comment. */
class Upload {
  private readonly contentType: string;
  private readonly metadata: ObjectMetadata;

  constructor(
    private readonly requests: BucketRequests,
    private readonly key: string,
    private readonly options: PutOptions,
    private readonly settings: UploadSettings,
  ) {
    this.contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    this.metadata = { ...options.metadata };
  }

  attributes(size: number, md5: string): ObjectAttributes {
    return {
      key: this.key,
      size,
      md5,
      contentType: this.contentType,
      metadata: { ...this.metadata },
      updated: new Date(),
    };
  }

  async single(bytes: Buffer): Promise<ObjectAttributes> {
    const md5 = this.options.md5 ?? md5Hex(bytes);
    const headers = {
      ...objectHeaders(this.contentType, md5, this.metadata),
      'content-md5': base64OfHex(md5),
      ...(this.options.ifNotExists ? IF_NONE_MATCH : {}),
    };
    // A retried create-if-absent could find its own first attempt: never retried.
    await withRetries(this.options.ifNotExists ? 0 : this.settings.maxRetries, () =>
      this.requests.put(this.key, bytes, headers),
    );
    return this.attributes(bytes.length, md5);
  }

  async multipart(first: Part, reader: PartReader): Promise<ObjectAttributes> {
    const expected = this.options.md5;
    const target = expected === undefined ? `${TEMP_PREFIX}${randomUUID()}` : this.key;
    const headers =
      expected === undefined ? {} : objectHeaders(this.contentType, expected, this.metadata);
    const uploadId = await this.requests.initiate(target, headers);
    let size = 0;
    let md5: string;
    try {
      const hash = createHash('md5');
      const parts: UploadedPart[] = [];
      for (let part: Part | undefined = first; part !== undefined;) {
        const partNumber = parts.length + 1;
        if (partNumber > MAX_PARTS) {
          throw new SomError(
            'InvalidArgument',
            `${this.key} needs more than ${MAX_PARTS} parts of ${this.settings.partSize} bytes: raise the minio setting "partSize"`,
          );
        }
        hash.update(part.bytes);
        size += part.bytes.length;
        const bytes: Buffer = part.bytes;
        const partMd5 = createHash('md5').update(bytes).digest('base64');
        const sent: Promise<string> = withRetries(this.settings.maxRetries, () =>
          this.requests.uploadPart(target, uploadId, partNumber, bytes, partMd5),
        );
        // Read the next part while this one is sent.
        const [etag, next]: [string, Part | undefined] = await Promise.all([
          sent,
          part.last ? undefined : reader.next(),
        ]);
        parts.push({ partNumber, etag });
        part = next;
      }
      md5 = hash.digest('hex');
      if (expected !== undefined && md5 !== expected) throw mismatch(this.key, expected, md5);
      await this.requests.complete(
        target,
        uploadId,
        parts,
        expected !== undefined && this.options.ifNotExists ? IF_NONE_MATCH : {},
      );
    } catch (err) {
      await this.requests.abort(target, uploadId).catch(() => undefined);
      throw err;
    }
    if (target !== this.key) await this.moveTemporary(target, md5);
    return this.attributes(size, md5);
  }

  /** Copy the temporary object to the key with its headers and md5, then delete it. */
  private async moveTemporary(temporary: string, md5: string): Promise<void> {
    const headers = {
      ...objectHeaders(this.contentType, md5, this.metadata),
      'x-amz-metadata-directive': 'REPLACE',
      ...(this.options.ifNotExists ? IF_NONE_MATCH : {}),
    };
    try {
      await withRetries(this.options.ifNotExists ? 0 : this.settings.maxRetries, () =>
        this.requests.copy(temporary, this.key, headers),
      );
    } finally {
      await this.requests.delete(temporary).catch(() => undefined);
    }
  }
}

/** Write `body` to `key` (see the module comment); nothing is stored when it fails. */
export async function uploadObject(
  requests: BucketRequests,
  key: string,
  body: Readable,
  options: PutOptions,
  settings: UploadSettings,
): Promise<ObjectAttributes> {
  const reader = new PartReader(body, settings.partSize, `write of ${key}`, options.signal);
  const upload = new Upload(requests, key, options, settings);
  try {
    const first = (await reader.next()) as Part;
    return first.last ? await upload.single(first.bytes) : await upload.multipart(first, reader);
  } catch (err) {
    throw asPutError(err, key, options);
  } finally {
    await reader.close();
  }
}
