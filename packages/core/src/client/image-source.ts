/**
 * Where an image's bytes come from (a path, a buffer or a stream), and hashing of them.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { SomError, errorMessage } from '../errors';
import type { RecordData } from '../metadata-store/driver';
import { md5Hex, md5OfStream } from '../md5';
import { sanitizeUid } from '../names';

/** One image to upload: its bytes as a file path, a Buffer or a stream, and its fields. */
export interface ImageInput {
  /** The image uid (default: the file name of `path`, made a valid uid). */
  uid?: string;
  /** Read the bytes from this file. */
  path?: string;
  /** The bytes. */
  bytes?: Buffer;
  /** The bytes as a stream (read once; cannot be skipped as unchanged before upload). */
  stream?: Readable;
  /** Searchable fields of the image record (rebuilt from the bytes when a record is lost). */
  metadata?: RecordData;
  /**
   * The user's fields of the image record: kept with the object too (its user metadata), so
   * that `verify({ repair: true })` rebuilds a lost record with them.
   */
  userMetadata?: RecordData;
  /** Content type (default `application/dicom`). */
  contentType?: string;
  /**
   * MD5 of the bytes (lowercase hex) when the caller already has it: not computed again, and
   * passed to the object store, which checks it against the bytes it stores (a wrong one
   * fails the image). Without it, the Client hashes the bytes only when they are needed (see
   * `Md5Need`): to compare them with an object stored under the image's key, or for a
   * store that wants the MD5 from the caller.
   */
  md5?: string;
}

/** A path, or an {@link ImageInput}. */
export type ImageSource = string | ImageInput;

/** An {@link ImageSource} with its uid decided. */
export interface ResolvedImage extends ImageInput {
  uid: string;
}

/** Give a source its uid: explicit, or from the file name of its path. */
export function resolveImage(source: ImageSource): ResolvedImage {
  const input: ImageInput = typeof source === 'string' ? { path: source } : source;
  const provided = [input.path, input.bytes, input.stream].filter((x) => x !== undefined).length;
  if (provided !== 1) {
    throw new SomError(
      'InvalidArgument',
      `an image needs exactly one of path, bytes or stream (uid ${input.uid ?? '?'})`,
    );
  }
  if (input.uid !== undefined) return { ...input, uid: input.uid };
  if (input.path === undefined)
    throw new SomError('InvalidArgument', 'an image given as bytes or a stream needs a uid');
  return { ...input, uid: sanitizeUid(basename(input.path)) };
}

/** A readable name of a source for messages. */
export function describeImage(image: ResolvedImage): string {
  return image.path ?? image.uid;
}

/** The error of a file that cannot be read: NotFound when it is missing. */
function unreadable(path: string, err: unknown): SomError {
  const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NotFound' : 'FailedPrecondition';
  return new SomError(code, `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
}

/**
 * A fresh stream of the image's bytes. A file is opened first, so that a file that cannot be
 * read fails here, named, rather than inside the store that reads the stream.
 */
export async function openImage(image: ResolvedImage): Promise<Readable> {
  if (image.bytes !== undefined) return Readable.from([image.bytes]);
  if (image.stream !== undefined) return image.stream;
  const path = image.path as string;
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw unreadable(path, err);
  });
  return handle.createReadStream();
}

/** MD5 (hex) of the image's bytes (as given, or computed), or undefined for a stream without one. */
export async function md5OfImage(image: ResolvedImage): Promise<string | undefined> {
  if (image.md5 !== undefined) return image.md5;
  if (image.stream !== undefined) return undefined;
  if (image.bytes !== undefined) return md5Hex(image.bytes);
  const path = image.path as string;
  return md5OfStream(createReadStream(path)).catch((err: unknown) => {
    throw unreadable(path, err);
  });
}
