/**
 * Reading a large file around its pixel data: its header (everything before the top-level
 * Pixel Data) and its trailer (every element after it) are read into memory with a small
 * stand-in for the pixel data element between them, which de-identifies like the whole
 * file; the pixel data itself stays on disk, to be copied byte for byte as a span of the
 * file (see output-parts.ts). Anything that would make that copy doubtful (a deflated data
 * set, pixels that must be cleaned, a header or trailer past its limit) makes the file not
 * streamable: it is de-identified in memory when it is small enough, else refused.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { locatePixelData, parseDicom, type ParsedDicom } from '@som/dicom';
import { readFully, type ReadAt } from './in-place';
import type { FileSpan } from './output-parts';

/**
 * Files at least this large (8 MiB) are de-identified around their pixel data: from this
 * size on that is faster than reading them whole (bench/large-file.js), and smaller files
 * (CT and MR slices) keep the path they were measured on.
 */
export const STREAM_FROM_BYTES = 8 * 1024 * 1024;

/** The largest header read to de-identify a file around its pixel data (64 MiB). */
export const MAX_STREAMED_HEADER_BYTES = 64 * 1024 * 1024;

/** The largest trailer (elements after the pixel data) read with it (16 MiB). */
export const MAX_TRAILER_BYTES = 16 * 1024 * 1024;

/** The first prefix read for the header; most headers fit in it. */
const FIRST_PREFIX_BYTES = 64 * 1024;

/** A file read around its pixel data. */
export interface AroundPixels {
  /** Header, stand-in pixel data element and trailer: a small file that de-identifies like this one. */
  readonly standIn: Buffer;
  /** The real pixel data element in the file, to copy in the place of the stand-in. */
  readonly pixelData: FileSpan;
  /** The stand-in element's bytes in {@link standIn}. */
  readonly standInElement: Buffer;
}

/** Why a file is not read around its pixel data. */
export interface NotStreamable {
  readonly notStreamable: string;
}

/** `length` bytes of the file from `position` (fewer at its end), in a buffer of their own. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  const readAt = handle.read.bind(handle) as ReadAt;
  return buffer.subarray(0, await readFully(readAt, buffer, position));
}

/**
 * The file's bytes before its top-level Pixel Data and their parse: growing prefixes are
 * parsed until the parse stops at the pixel data.
 * @throws DicomRefusal when the file is malformed.
 */
async function readHeader(
  handle: FileHandle,
  size: number,
  source: string,
): Promise<{ prefix: Buffer; parsed: ParsedDicom } | NotStreamable> {
  for (let n = Math.min(size, FIRST_PREFIX_BYTES); ; n = Math.min(size, n * 4)) {
    const prefix = await readAt(handle, 0, n);
    let parsed: ParsedDicom;
    try {
      parsed = parseDicom(prefix, source, { stopAtPixelData: true });
    } catch (err) {
      if (prefix.length < size && n < MAX_STREAMED_HEADER_BYTES) continue; // cut inside an element
      if (prefix.length < size) return { notStreamable: 'its header is too large' };
      throw err;
    }
    if (parsed.transferSyntax.deflated) return { notStreamable: 'its data set is deflated' };
    if (parsed.stoppedAtPixelData) return { prefix, parsed };
    if (prefix.length >= size) return { notStreamable: 'it has no pixel data' };
    if (n >= MAX_STREAMED_HEADER_BYTES) return { notStreamable: 'its header is too large' };
  }
}

/**
 * Read the file at `path` (named `source` in messages) around its pixel data.
 * @throws DicomRefusal when the file is malformed (its header, or its pixel data's extent).
 */
export async function readAroundPixels(
  path: string,
  source: string,
): Promise<AroundPixels | NotStreamable> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    const header = await readHeader(handle, stat.size, source);
    if ('notStreamable' in header) return header;
    const { prefix, parsed } = header;
    const { dataset } = parsed;
    const offset = dataset.elements[dataset.elements.length - 1]?.end ?? parsed.datasetOffset;
    const extent = await locatePixelData(
      (position, length) => readAt(handle, position, length),
      offset,
      stat.size,
      dataset.encoding,
      source,
    );
    const trailerLength = stat.size - extent.end;
    if (trailerLength > MAX_TRAILER_BYTES)
      return { notStreamable: 'too much follows its pixel data' };
    const trailer = await readAt(handle, extent.end, trailerLength);
    if (trailer.length < trailerLength) return { notStreamable: 'it shrank while it was read' };
    const standIn = Buffer.concat([prefix.subarray(0, offset), extent.standIn, trailer]);
    return {
      standIn,
      standInElement: standIn.subarray(offset, offset + extent.standIn.length),
      pixelData: {
        path,
        start: extent.offset,
        end: extent.end,
        fileSize: stat.size,
        modifiedMs: stat.mtimeMs,
      },
    };
  } finally {
    await handle.close();
  }
}
