/**
 * DICOM RLE (PS3.5 Annex G): a frame is a 64-byte header (the number of segments and their
 * offsets) and up to 15 PackBits segments, one per byte of each sample (most significant
 * byte first), each decoding to rows x columns bytes.
 */
import { SomError } from '@som/core';

/** Decode one RLE frame into its segments (each `pixels` bytes long). */
export function decodeRleFrame(frame: Buffer, pixels: number, what: () => string): Buffer[] {
  if (frame.length < 64)
    throw new SomError('InvalidArgument', `${what()}: RLE frame shorter than its header`);
  const count = frame.readUInt32LE(0);
  if (count < 1 || count > 15)
    throw new SomError('InvalidArgument', `${what()}: RLE frame with ${count} segments`);
  const segments: Buffer[] = [];
  for (let s = 0; s < count; s++) {
    const start = frame.readUInt32LE(4 + 4 * s);
    const end = s + 1 < count ? frame.readUInt32LE(8 + 4 * s) : frame.length;
    if (start < 64 || end > frame.length || end < start)
      throw new SomError('InvalidArgument', `${what()}: RLE segment ${s + 1} outside its frame`);
    segments.push(unpackBits(frame.subarray(start, end), pixels, what));
  }
  return segments;
}

function unpackBits(input: Buffer, size: number, what: () => string): Buffer {
  const out = Buffer.alloc(size);
  let i = 0;
  let o = 0;
  while (o < size && i < input.length) {
    const n = input.readInt8(i++);
    if (n >= 0) {
      const count = n + 1;
      if (i + count > input.length || o + count > size) break;
      input.copy(out, o, i, i + count);
      i += count;
      o += count;
    } else if (n !== -128) {
      const count = 1 - n;
      if (i >= input.length || o + count > size) break;
      out.fill(input[i] ?? 0, o, o + count);
      i += 1;
      o += count;
    }
  }
  if (o !== size)
    throw new SomError(
      'InvalidArgument',
      `${what()}: an RLE segment does not decode to the image size`,
    );
  return out;
}

/** Encode segments (each rows x columns bytes) as one RLE frame, each row packed on its own. */
export function encodeRleFrame(segments: readonly Buffer[], columns: number): Buffer {
  const packed = segments.map((segment) => {
    const parts: Buffer[] = [];
    for (let row = 0; row < segment.length; row += columns)
      parts.push(packBits(segment.subarray(row, Math.min(row + columns, segment.length))));
    const body = Buffer.concat(parts);
    return body.length % 2 === 0 ? body : Buffer.concat([body, Buffer.of(0)]);
  });
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  packed.forEach((p, s) => {
    header.writeUInt32LE(offset, 4 + 4 * s);
    offset += p.length;
  });
  return Buffer.concat([header, ...packed]);
}

/** PackBits: runs of 3 or more equal bytes as replicate runs, the rest as literal runs (at most 128 each). */
function packBits(row: Buffer): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < row.length) {
    let run = 1;
    while (i + run < row.length && run < 128 && row[i + run] === row[i]) run++;
    if (run >= 3) {
      out.push(257 - run, row[i] ?? 0);
      i += run;
      continue;
    }
    const start = i;
    while (i < row.length && i - start < 128) {
      if (i + 2 < row.length && row[i] === row[i + 1] && row[i] === row[i + 2]) break;
      i++;
    }
    out.push(i - start - 1);
    for (let k = start; k < i; k++) out.push(row[k] ?? 0);
  }
  return Buffer.from(out);
}
