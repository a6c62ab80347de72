/**
 * Where an image's bytes come from (a path, a buffer or a stream), and hashing of them.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { SomError, errorMessage } from '../errors';
import type { RecordData } from '../metadata-store/driver';
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
  /** Searchable fields of the image record. */
  metadata?: RecordData;
  /** Content type (default `application/dicom`). */
  contentType?: string;
  /**
   * MD5 of the bytes (lowercase hex) when the caller already has it: not computed again.
   * The object store still checks it against the bytes it stores (a wrong one fails the image).
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

/** A fresh stream of the image's bytes. */
export function openImage(image: ResolvedImage): Readable {
  if (image.bytes !== undefined) return Readable.from([image.bytes]);
  if (image.stream !== undefined) return image.stream;
  return createReadStream(image.path as string);
}

/** MD5 (hex) of the image's bytes (as given, or computed), or undefined for a stream without one. */
export async function md5OfImage(image: ResolvedImage): Promise<string | undefined> {
  if (image.md5 !== undefined) return image.md5;
  if (image.stream !== undefined) return undefined;
  const hash = createHash('md5');
  if (image.bytes !== undefined) return hash.update(image.bytes).digest('hex');
  try {
    for await (const chunk of createReadStream(image.path as string)) hash.update(chunk as Buffer);
  } catch (err) {
    const code =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NotFound' : 'FailedPrecondition';
    throw new SomError(code, `cannot read ${image.path}: ${errorMessage(err)}`, { cause: err });
  }
  return hash.digest('hex');
}
