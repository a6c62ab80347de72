/**
 * Reading only the header of a DICOM file: growing prefixes of the file are parsed until
 * the parse reaches the top-level Pixel Data (or the end of the file), so the pixel data
 * of a large image is never read.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { readDicomHeader, type DicomHeader } from '@som/dicom';

/** The first prefix read; most headers fit in it. */
export const FIRST_PREFIX_BYTES = 64 * 1024;

/**
 * The header of a file of `size` bytes whose first `n` bytes `readPrefix(n)` returns.
 * A prefix that ends inside the header is read again, four times longer; a malformed file
 * fails (SomError InvalidArgument naming `source`) once the whole file has been tried.
 */
export async function readHeaderFromPrefixes(
  source: string,
  size: number,
  readPrefix: (n: number) => Promise<Buffer>,
  firstPrefix = FIRST_PREFIX_BYTES,
): Promise<DicomHeader> {
  for (let n = Math.min(size, firstPrefix); ; n = Math.min(size, n * 4)) {
    const prefix = await readPrefix(n);
    // The whole file (or all there is, should it have shrunk since its size was taken).
    if (prefix.length >= size || prefix.length < n) return readDicomHeader(prefix, source);
    let header: DicomHeader;
    try {
      header = readDicomHeader(prefix, source);
    } catch {
      continue; // cut inside an element: read more
    }
    // A deflated data set is parsed from its inflated copy: offsets say nothing about the prefix.
    if (header.transferSyntax.deflated) continue;
    // The parse only ends before the prefix's end when it stopped at the top-level Pixel Data.
    const last = header.dataset.elements[header.dataset.elements.length - 1];
    if (last !== undefined && last.end < prefix.length) return header;
  }
}

/** The header of the DICOM file at `path` (`size` bytes, named `source` in errors), reading as little of it as possible. */
export async function readFileHeader(
  path: string,
  size: number,
  source = path,
): Promise<DicomHeader> {
  const handle = await open(path, 'r');
  try {
    let prefix = Buffer.alloc(0);
    return await readHeaderFromPrefixes(source, size, async (n) => {
      const buffer = Buffer.allocUnsafe(n);
      let filled = prefix.copy(buffer);
      while (filled < n) {
        const { bytesRead } = await handle.read(buffer, filled, n - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      prefix = buffer.subarray(0, filled);
      return prefix;
    });
  } finally {
    await handle.close();
  }
}

/** The header of a DICOM object read from `stream` (`size` bytes); the stream is released afterwards. */
export async function readStreamHeader(
  stream: Readable,
  size: number,
  source: string,
): Promise<DicomHeader> {
  const chunks: Buffer[] = [];
  let have = 0;
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    return await readHeaderFromPrefixes(source, size, async (n) => {
      while (have < n) {
        const next = await iterator.next();
        if (next.done) break;
        chunks.push(next.value);
        have += next.value.length;
      }
      return Buffer.concat(chunks).subarray(0, n);
    });
  } finally {
    stream.destroy();
  }
}
