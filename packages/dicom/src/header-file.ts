/**
 * Reading only the header of a DICOM file: growing prefixes of the file are parsed until
 * the parse reaches the top-level Pixel Data (or the end of the file), so the pixel data
 * of a large image is never read.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SomError } from '@som/core';
import { readDicomHeader, type DicomHeader } from './header';
import { isDicom, SNIFF_BYTES } from './sniff';

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

/**
 * The header of the file at `path` (`size` bytes, named `source` in errors) when it is
 * DICOM by content, else undefined: one open, reading as little of the file as possible.
 */
export async function readHeaderIfDicom(
  path: string,
  size: number,
  source = path,
): Promise<DicomHeader | undefined> {
  const handle = await open(path, 'r');
  try {
    let prefix = Buffer.alloc(0);
    const readPrefix = async (n: number): Promise<Buffer> => {
      if (prefix.length >= n) return prefix.subarray(0, n);
      const buffer = Buffer.allocUnsafe(n);
      let filled = prefix.copy(buffer);
      while (filled < n) {
        const { bytesRead } = await handle.read(buffer, filled, n - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      prefix = buffer.subarray(0, filled);
      return prefix;
    };
    const head = await readPrefix(Math.min(size, FIRST_PREFIX_BYTES));
    if (!isDicom(head.subarray(0, SNIFF_BYTES))) return undefined;
    return await readHeaderFromPrefixes(source, size, readPrefix);
  } finally {
    await handle.close();
  }
}

/**
 * The header of the DICOM file at `path` (see {@link readHeaderIfDicom}).
 * @throws SomError InvalidArgument when the file is not DICOM.
 */
export async function readFileHeader(
  path: string,
  size: number,
  source = path,
): Promise<DicomHeader> {
  const header = await readHeaderIfDicom(path, size, source);
  if (header === undefined) throw new SomError('InvalidArgument', `${source} is not a DICOM file`);
  return header;
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
