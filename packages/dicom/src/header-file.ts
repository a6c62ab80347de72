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

/** A defined length that is none: the value runs to its delimiter. */
const UNDEFINED_LENGTH = 0xffffffff;

/**
 * Throw when the header stopped at a top-level Pixel Data of a defined length that reaches
 * past the end of the file (`size` bytes): a truncated file, which fails as truncated
 * whatever else may be said of it (say that another file has its SOP Instance UID).
 */
function checkPixelDataFits(header: DicomHeader, prefix: Buffer, size: number): void {
  if (header.transferSyntax.deflated) return;
  const last = header.dataset.elements[header.dataset.elements.length - 1];
  const start = last?.end;
  if (start === undefined || start + 12 > prefix.length) return;
  const { littleEndian, explicitVr } = header.dataset.encoding;
  const read16 = (at: number): number =>
    littleEndian ? prefix.readUInt16LE(at) : prefix.readUInt16BE(at);
  if (read16(start) !== 0x7fe0 || read16(start + 2) !== 0x0010) return;
  const vr = prefix.toString('latin1', start + 4, start + 6);
  const long = !explicitVr || ['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'UN'].includes(vr);
  const at = explicitVr ? (long ? start + 8 : start + 6) : start + 4;
  const length = long
    ? littleEndian
      ? prefix.readUInt32LE(at)
      : prefix.readUInt32BE(at)
    : read16(at);
  const valueStart = explicitVr && long ? start + 12 : start + 8;
  if (length !== UNDEFINED_LENGTH && valueStart + length > size) {
    throw new SomError(
      'InvalidArgument',
      `${header.source}: truncated: its Pixel Data declares ${length} bytes, the file ends ${size - valueStart} bytes into them`,
    );
  }
}

/**
 * The header of a file of `size` bytes whose first `n` bytes `readPrefix(n)` returns.
 * A prefix that ends inside the header is read again, four times longer; a malformed file
 * fails (SomError InvalidArgument naming `source`) once the whole file has been tried, and
 * so does a file cut inside its Pixel Data (`truncated`).
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
    if (prefix.length >= size || prefix.length < n) {
      const header = readDicomHeader(prefix, source);
      checkPixelDataFits(header, prefix, size);
      return header;
    }
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
    if (last !== undefined && last.end < prefix.length) {
      checkPixelDataFits(header, prefix, size);
      return header;
    }
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
