/**
 * The frames of a parsed object's Pixel Data, as WADO-RS returns them: native pixel data cut
 * into frames (big endian words swapped to little endian), encapsulated pixel data split into
 * frames by its Basic Offset Table, one fragment per frame, or the codec's start markers.
 */
import type { ParsedDicom } from '@som/dicom';
import { HttpError } from '../http';
import { PIXEL_DATA } from '../dicom-json';

/** Explicit VR Little Endian: what native frames are given as. */
export const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';

const NATIVE = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.2',
]);

/** The media type of frames in a compressed transfer syntax (PS3.18 Table 8.7.3-5). */
const FRAME_TYPES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.4.50': 'image/jpeg',
  '1.2.840.10008.1.2.4.51': 'image/jpeg',
  '1.2.840.10008.1.2.4.57': 'image/jpeg',
  '1.2.840.10008.1.2.4.70': 'image/jpeg',
  '1.2.840.10008.1.2.4.80': 'image/jls',
  '1.2.840.10008.1.2.4.81': 'image/jls',
  '1.2.840.10008.1.2.4.90': 'image/jp2',
  '1.2.840.10008.1.2.4.91': 'image/jp2',
  '1.2.840.10008.1.2.4.92': 'image/jpx',
  '1.2.840.10008.1.2.4.93': 'image/jpx',
  '1.2.840.10008.1.2.4.201': 'image/jphc',
  '1.2.840.10008.1.2.4.202': 'image/jphc',
  '1.2.840.10008.1.2.4.203': 'image/jphc',
  '1.2.840.10008.1.2.5': 'image/dicom-rle',
};

/** True for a native (uncompressed) transfer syntax. */
export function isNative(transferSyntax: string): boolean {
  return NATIVE.has(transferSyntax);
}

/** The media type frames of `transferSyntax` are given as. */
export function frameMediaType(transferSyntax: string): string {
  return isNative(transferSyntax)
    ? 'application/octet-stream'
    : (FRAME_TYPES[transferSyntax] ?? 'application/octet-stream');
}

/** The frames of an object. */
export interface Frames {
  /** The transfer syntax the frames are in (native ones as Explicit VR Little Endian). */
  transferSyntax: string;
  /** How many. */
  count: number;
  /** Frame `n` (from 1). */
  frame(n: number): Buffer;
}

function fragmentsOf(
  buffer: Buffer,
  start: number,
  end: number,
): { offset: number; bytes: Buffer }[] {
  const items: { offset: number; bytes: Buffer }[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    const group = buffer.readUInt16LE(pos);
    const element = buffer.readUInt16LE(pos + 2);
    const length = buffer.readUInt32LE(pos + 4);
    if (group !== 0xfffe || element !== 0xe000 || pos + 8 + length > end) break;
    items.push({ offset: pos - start, bytes: buffer.subarray(pos + 8, pos + 8 + length) });
    pos += 8 + length;
  }
  return items;
}

function startsFrame(bytes: Buffer): boolean {
  // JPEG family: SOI (FFD8); JPEG 2000 codestream: SOC (FF4F).
  return bytes[0] === 0xff && (bytes[1] === 0xd8 || bytes[1] === 0x4f);
}

/** Group fragments into `count` frames; undefined when it cannot be told how. */
function groupFragments(
  items: { offset: number; bytes: Buffer }[],
  count: number,
): Buffer[] | undefined {
  const [table, ...fragments] = items;
  if (table === undefined) return undefined;
  if (table.bytes.length >= 4 * count && table.bytes.length > 0) {
    const firstOffset = fragments[0]?.offset ?? 0;
    const starts = Array.from({ length: count }, (_, i) => table.bytes.readUInt32LE(4 * i));
    return starts.map((start, i) => {
      const end = starts[i + 1] ?? Infinity;
      return Buffer.concat(
        fragments
          .filter((f) => f.offset - firstOffset >= start && f.offset - firstOffset < end)
          .map((f) => f.bytes),
      );
    });
  }
  if (count === 1) return [Buffer.concat(fragments.map((f) => f.bytes))];
  if (fragments.length === count) return fragments.map((f) => f.bytes);
  const frames: Buffer[][] = [];
  for (const f of fragments) {
    if (startsFrame(f.bytes) || frames.length === 0) frames.push([f.bytes]);
    else frames[frames.length - 1]?.push(f.bytes);
  }
  return frames.length === count ? frames.map((parts) => Buffer.concat(parts)) : undefined;
}

/** The frames of a fully parsed object; 404 when it has no Pixel Data. */
export function framesOf(parsed: ParsedDicom): Frames {
  const { dataset } = parsed;
  const pixels = dataset.get(PIXEL_DATA);
  if (pixels === undefined) throw new HttpError(404, 'NotFound', 'this instance has no pixel data');
  const count = Math.max(1, dataset.number('NumberOfFrames') ?? 1);
  const syntax = parsed.transferSyntax.uid;
  if (!pixels.encapsulated) {
    const rows = dataset.number('Rows') ?? 0;
    const columns = dataset.number('Columns') ?? 0;
    const samples = dataset.number('SamplesPerPixel') ?? 1;
    const bits = dataset.number('BitsAllocated') ?? 8;
    const frameBits = rows * columns * samples * bits;
    const frameBytes = Math.ceil(frameBits / 8);
    const value = dataset.valueBytes(pixels);
    return {
      transferSyntax: EXPLICIT_LITTLE,
      count,
      frame: (n) => {
        if (frameBits % 8 !== 0 && count > 1)
          throw new HttpError(
            501,
            'Unimplemented',
            'frames of 1-bit multi-frame pixel data are not split',
          );
        const bytes = value.subarray((n - 1) * frameBytes, n * frameBytes);
        if (bytes.length !== frameBytes)
          throw new HttpError(422, 'InvalidArgument', 'the pixel data is shorter than its frames');
        if (!parsed.transferSyntax.littleEndian && bits === 16) return Buffer.from(bytes).swap16();
        if (!parsed.transferSyntax.littleEndian && bits === 32) return Buffer.from(bytes).swap32();
        return bytes;
      },
    };
  }
  const buffer = dataset.buffer;
  const items = fragmentsOf(buffer, pixels.valueOffset, pixels.valueOffset + pixels.length);
  const frames = groupFragments(items, count);
  if (frames === undefined)
    throw new HttpError(
      501,
      'Unimplemented',
      'cannot tell which fragments make each frame of this instance',
    );
  return { transferSyntax: syntax, count, frame: (n) => frames[n - 1] as Buffer };
}

/** The frame numbers of a `frames/1,2,3` path segment; 400 when malformed or out of range. */
export function frameNumbers(text: string, count: number): number[] {
  const numbers = text.split(',').map((t) => (/^\d{1,9}$/.test(t.trim()) ? Number(t) : NaN));
  if (numbers.length === 0 || numbers.length > 10_000 || numbers.some((n) => !Number.isInteger(n)))
    throw new HttpError(
      400,
      'InvalidArgument',
      'frames must be a list of frame numbers: frames/1 or frames/1,2',
    );
  const outside = numbers.find((n) => n < 1 || n > count);
  if (outside !== undefined)
    throw new HttpError(
      404,
      'NotFound',
      `frame ${outside} does not exist: the instance has ${count} frame(s)`,
    );
  return numbers;
}
