/**
 * The S3 requests of one bucket, signed and sent by the minio client. Write requests are
 * made here (not with `putObject`) to control their headers: Content-MD5 of the caller's
 * md5, `If-None-Match`, and the md5 kept in user metadata.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Client } from 'minio';
import type { ByteRange } from '@som/core';
import { S3ResponseError } from './errors';
import { errorInXml, parseXml, text } from './xml';

/** Headers of a request: names and string values. */
export type RequestHeaders = Record<string, string>;

/** One uploaded part of a multipart upload. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A 200 response whose body may still be an S3 `<Error>` (CompleteMultipartUpload, CopyObject). */
async function bodyUnlessError(response: IncomingMessage): Promise<string> {
  const body = await readBody(response);
  const error = errorInXml(body);
  if (error !== undefined) throw error;
  return body;
}

/** URI-encode as SigV4 wants: everything but `A-Za-z0-9-_.~`. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Path of `key` in `bucket` for `x-amz-copy-source`: each segment URI-encoded. */
function copySource(bucket: string, key: string): string {
  return `/${bucket}/${key.split('/').map(uriEncode).join('/')}`;
}

/** The requests of the driver, on one bucket. */
export class BucketRequests {
  /**
   * @param client the minio client (credentials, signing, transport).
   * @param bucket the bucket.
   * @param region the region to create the bucket in.
   */
  constructor(
    private readonly client: Client,
    readonly bucket: string,
    private readonly region: string,
  ) {}

  /** True when the bucket exists (PermissionDenied when the credentials are refused). */
  async bucketExists(): Promise<boolean> {
    return this.client.bucketExists(this.bucket);
  }

  /** Create the bucket. */
  async createBucket(): Promise<void> {
    await this.client.makeBucket(this.bucket, this.region);
  }

  /** PUT an object in one request. */
  async put(key: string, body: Buffer, headers: RequestHeaders): Promise<void> {
    const response = await this.client.makeRequestAsync(
      { method: 'PUT', bucketName: this.bucket, objectName: key, headers },
      body,
      [200],
    );
    await readBody(response);
  }

  /** The response headers of a HEAD of `key`. */
  async head(key: string): Promise<IncomingHttpHeaders> {
    const response = await this.client.makeRequestAsync(
      { method: 'HEAD', bucketName: this.bucket, objectName: key },
      '',
      [200],
    );
    response.resume();
    return response.headers;
  }

  /** The bytes of `key` (or of `range`) as a stream. */
  async get(key: string, range: ByteRange | undefined): Promise<Readable> {
    const headers: RequestHeaders = {};
    if (range !== undefined && (range.start > 0 || range.end !== undefined)) {
      headers.range = `bytes=${range.start}-${range.end ?? ''}`;
    }
    return this.client.makeRequestAsync(
      { method: 'GET', bucketName: this.bucket, objectName: key, headers },
      '',
      [200, 206],
    );
  }

  /** DELETE `key` (S3 answers 204 whether or not it existed). */
  async delete(key: string): Promise<void> {
    const response = await this.client.makeRequestAsync(
      { method: 'DELETE', bucketName: this.bucket, objectName: key },
      '',
      [200, 204],
    );
    await readBody(response);
  }

  /** Server-side copy of `from` to `to`; `headers` may replace the metadata. */
  async copy(from: string, to: string, headers: RequestHeaders): Promise<void> {
    const copyHeaders = { ...headers, 'x-amz-copy-source': copySource(this.bucket, from) };
    const response = await this.client.makeRequestAsync(
      { method: 'PUT', bucketName: this.bucket, objectName: to, headers: copyHeaders },
      '',
      [200],
    );
    await bodyUnlessError(response);
  }

  /** Start a multipart upload to `key` with the object's headers; its upload id. */
  async initiate(key: string, headers: RequestHeaders): Promise<string> {
    const response = await this.client.makeRequestAsync(
      { method: 'POST', bucketName: this.bucket, objectName: key, query: 'uploads', headers },
      '',
      [200],
    );
    const uploadId = text(
      parseXml(await bodyUnlessError(response), 'InitiateMultipartUploadResult').UploadId,
    );
    if (uploadId === '')
      throw new S3ResponseError(
        'InvalidResponse',
        `no UploadId in the answer to starting a multipart upload of ${key}`,
      );
    return uploadId;
  }

  /** Upload one part (Content-MD5 checked by the server); its ETag. */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
    md5Base64: string,
  ): Promise<string> {
    const query = `partNumber=${partNumber}&uploadId=${uriEncode(uploadId)}`;
    const headers = { 'content-md5': md5Base64 };
    const response = await this.client.makeRequestAsync(
      { method: 'PUT', bucketName: this.bucket, objectName: key, query, headers },
      body,
      [200],
    );
    await readBody(response);
    const etag = response.headers.etag;
    if (etag === undefined)
      throw new S3ResponseError(
        'InvalidResponse',
        `no ETag in the answer to part ${partNumber} of ${key}`,
      );
    return etag;
  }

  /** Complete a multipart upload from its parts, in order. */
  async complete(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[],
    headers: RequestHeaders,
  ): Promise<void> {
    const xml = `<CompleteMultipartUpload>${parts
      .map(
        (part) =>
          `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${part.etag.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</ETag></Part>`,
      )
      .join('')}</CompleteMultipartUpload>`;
    const query = `uploadId=${uriEncode(uploadId)}`;
    const response = await this.client.makeRequestAsync(
      { method: 'POST', bucketName: this.bucket, objectName: key, query, headers },
      xml,
      [200],
    );
    await bodyUnlessError(response);
  }

  /** Abort a multipart upload: its parts are discarded. */
  async abort(key: string, uploadId: string): Promise<void> {
    await this.client.abortMultipartUpload(this.bucket, key, uploadId);
  }

  /** The body of one ListObjectsV2 request (keys URL-encoded). */
  async listObjectsV2(
    prefix: string,
    delimiter: string,
    maxKeys: number,
    continuationToken: string | undefined,
  ): Promise<string> {
    const query = [
      'list-type=2',
      'encoding-type=url',
      `max-keys=${maxKeys}`,
      `prefix=${uriEncode(prefix)}`,
      ...(delimiter ? [`delimiter=${uriEncode(delimiter)}`] : []),
      ...(continuationToken ? [`continuation-token=${uriEncode(continuationToken)}`] : []),
    ]
      .sort()
      .join('&');
    const response = await this.client.makeRequestAsync(
      { method: 'GET', bucketName: this.bucket, query },
      '',
      [200],
    );
    return readBody(response);
  }

  /** A presigned URL of `key` for `method`, valid `expiresInSeconds`. */
  async presign(method: 'GET' | 'PUT', key: string, expiresInSeconds: number): Promise<string> {
    return this.client.presignedUrl(method, this.bucket, key, expiresInSeconds);
  }
}
