/**
 * Blanking regions of the pixel data in every frame: native pixel data of any bit depth,
 * sample count and planar configuration (a copy with the masked samples set to zero), and
 * RLE (decoded, blanked and encoded again, losslessly). Other encapsulated syntaxes cannot
 * be cleaned here and are quarantined with the reason.
 */
import { SomError } from '@som/core';
import type { DicomDataset, DicomElement } from '../dataset';
import { effectiveVr } from '../dataset';
import { encodeHeader, type ElementPlan } from '../writer';
import { type Tag, Tags } from '../tags';
import type { PixelRegion } from './filter-types';
import { decodeRleFrame, encodeRleFrame } from './rle';
import { QuarantineError } from './quarantine';

/** Float Pixel Data and Double Float Pixel Data (32 and 64 bits a sample). */
const FLOAT_PIXEL_DATA = 0x7fe00008;
const DOUBLE_FLOAT_PIXEL_DATA = 0x7fe00009;

/** RLE Lossless. */
const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

const K = {
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  RegionLocationMinX0: 0x00186018,
  RegionLocationMinY0: 0x0018601a,
  RegionLocationMaxX1: 0x0018601c,
  RegionLocationMaxY1: 0x0018601e,
} as const;

/** The geometry of the image, from the header. */
export interface ImageGeometry {
  /** Rows. */
  readonly rows: number;
  /** Columns. */
  readonly columns: number;
  /** Samples per pixel. */
  readonly samples: number;
  /** Bits allocated per sample (32 or 64 for float pixel data). */
  readonly bitsAllocated: number;
  /** Planar configuration (1: one plane per sample). */
  readonly planar: boolean;
  /** Number of frames. */
  readonly frames: number;
  /** Photometric interpretation. */
  readonly photometric: string;
  /** The pixel data element. */
  readonly element: DicomElement;
}

/** The pixel data element and its geometry, or undefined when the file has no pixel data. */
export function imageGeometry(dataset: DicomDataset, source: string): ImageGeometry | undefined {
  const element =
    dataset.get(Tags.PixelData) ??
    dataset.get(FLOAT_PIXEL_DATA) ??
    dataset.get(DOUBLE_FLOAT_PIXEL_DATA);
  if (!element) return undefined;
  const need = (tag: Tag, name: string): number => {
    const value = dataset.number(tag);
    if (value === undefined || !Number.isInteger(value) || value < 1)
      throw new SomError(
        'InvalidArgument',
        `${source}: ${name} is missing or invalid: the pixel data cannot be read`,
      );
    return value;
  };
  const float =
    element.tag === FLOAT_PIXEL_DATA ? 32 : element.tag === DOUBLE_FLOAT_PIXEL_DATA ? 64 : 0;
  const frames = Number.parseInt(dataset.string(K.NumberOfFrames) ?? '1', 10);
  return {
    rows: need(K.Rows, 'Rows'),
    columns: need(K.Columns, 'Columns'),
    samples: dataset.number(K.SamplesPerPixel) ?? 1,
    bitsAllocated: float || need(K.BitsAllocated, 'BitsAllocated'),
    planar: dataset.number(K.PlanarConfiguration) === 1,
    frames: Number.isInteger(frames) && frames > 0 ? frames : 1,
    photometric: (dataset.string(K.PhotometricInterpretation) ?? '').trim().toUpperCase(),
    element,
  };
}

/**
 * The mask of one frame (1 keep, 0 blank) after the regions in order, or undefined when it
 * blanks nothing. `from:` regions read the RegionLocation rectangles of the sequence's items.
 */
export function regionMask(
  regions: readonly PixelRegion[],
  dataset: DicomDataset,
  rows: number,
  columns: number,
): Uint8Array | undefined {
  const mask = new Uint8Array(rows * columns).fill(1);
  const fill = (x0: number, y0: number, x1: number, y1: number, value: number): void => {
    const left = Math.max(0, x0);
    const right = Math.min(columns, x1);
    for (let y = Math.max(0, y0); y < Math.min(rows, y1); y++)
      if (right > left) mask.fill(value, y * columns + left, y * columns + right);
  };
  for (const { keep, shape } of regions) {
    const value = keep ? 1 : 0;
    if (shape.kind === 'all') fill(0, 0, columns, rows, value);
    else if (shape.kind === 'rect') fill(shape.x0, shape.y0, shape.x1, shape.y1, value);
    else {
      const sequence = dataset.get(shape.tag);
      for (const item of sequence ? dataset.items(sequence) : []) {
        const [x0, y0, x1, y1] = [
          K.RegionLocationMinX0,
          K.RegionLocationMinY0,
          K.RegionLocationMaxX1,
          K.RegionLocationMaxY1,
        ].map((t) => item.number(t));
        if (x0 !== undefined && y0 !== undefined && x1 !== undefined && y1 !== undefined)
          fill(x0, y0, x1, y1, value);
      }
    }
  }
  return mask.includes(0) ? mask : undefined;
}

/** The names of the encapsulated transfer syntaxes som cannot clean, for the quarantine reason. */
const SYNTAX_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (lossy)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (lossy)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
};

/**
 * The plan of the cleaned pixel data: every frame with `mask` applied (masked samples set
 * to zero). A file whose pixel data cannot be cleaned is a {@link QuarantineError}.
 */
export function cleanPixelData(
  geometry: ImageGeometry,
  mask: Uint8Array,
  dataset: DicomDataset,
  transferSyntaxUid: string,
  source: string,
): ElementPlan {
  const { element } = geometry;
  if (!element.encapsulated) {
    const value = Buffer.from(dataset.valueBytes(element));
    blankNative(value, geometry, mask, source);
    return { op: 'value', tag: element.tag, vr: effectiveVr(element), value };
  }
  if (transferSyntaxUid !== RLE_LOSSLESS) {
    const name = SYNTAX_NAMES[transferSyntaxUid] ?? 'an encapsulated transfer syntax';
    throw new QuarantineError(source, {
      reason: 'cannot-clean',
      detail: `regions of its pixels must be blanked, but pixel data in ${name} (${transferSyntaxUid}) cannot be re-encoded without loss here`,
    });
  }
  return cleanRle(geometry, mask, dataset, source);
}

/** Cannot clean: the layout is not one this module knows. */
function unsupported(source: string, detail: string): QuarantineError {
  return new QuarantineError(source, {
    reason: 'cannot-clean',
    detail: `regions of its pixels must be blanked, but ${detail}`,
  });
}

function blankNative(value: Buffer, g: ImageGeometry, mask: Uint8Array, source: string): void {
  const { rows, columns, samples, bitsAllocated, frames } = g;
  const pixels = rows * columns;
  if (bitsAllocated === 1) {
    if (samples !== 1) throw unsupported(source, '1-bit pixel data has more than one sample');
    if (value.length * 8 < pixels * frames)
      throw unsupported(source, 'the pixel data is shorter than the header says');
    for (let f = 0; f < frames; f++)
      for (let p = 0; p < pixels; p++) {
        if (mask[p] !== 0) continue;
        const bit = f * pixels + p;
        value[bit >>> 3] = (value[bit >>> 3] ?? 0) & ~(1 << (bit & 7));
      }
    return;
  }
  if (bitsAllocated % 8 !== 0)
    throw unsupported(source, `BitsAllocated ${bitsAllocated} is not a whole number of bytes`);
  const bytes = bitsAllocated / 8;
  const subsampled = g.photometric.endsWith('_422');
  // YBR_*_422: two pixels share one Cb and one Cr: Y1 Y2 Cb Cr.
  const frameBytes = subsampled ? pixels * 2 * bytes : pixels * samples * bytes;
  if (subsampled && (samples !== 3 || columns % 2 !== 0))
    throw unsupported(source, 'subsampled (422) pixel data with an odd number of columns');
  if (value.length < frameBytes * frames)
    throw unsupported(source, 'the pixel data is shorter than the header says');
  const runs = maskRuns(mask, rows, columns, subsampled);
  for (let f = 0; f < frames; f++) {
    const base = f * frameBytes;
    for (const [row, c0, c1] of runs) {
      if (subsampled) {
        value.fill(
          0,
          base + (row * columns + c0) * 2 * bytes,
          base + (row * columns + c1) * 2 * bytes,
        );
      } else if (g.planar && samples > 1) {
        for (let s = 0; s < samples; s++) {
          const plane = base + s * pixels * bytes;
          value.fill(0, plane + (row * columns + c0) * bytes, plane + (row * columns + c1) * bytes);
        }
      } else {
        const stride = samples * bytes;
        value.fill(0, base + (row * columns + c0) * stride, base + (row * columns + c1) * stride);
      }
    }
  }
}

/**
 * The masked runs of each row: [row, first column, end column). With `pairs`, runs widen to
 * whole pixel pairs (subsampled chroma is shared by two pixels: half a pair cannot be blanked).
 */
function maskRuns(
  mask: Uint8Array,
  rows: number,
  columns: number,
  pairs: boolean,
): [number, number, number][] {
  const runs: [number, number, number][] = [];
  for (let r = 0; r < rows; r++) {
    let c = 0;
    while (c < columns) {
      if (mask[r * columns + c] !== 0) {
        c++;
        continue;
      }
      const start = c;
      while (c < columns && mask[r * columns + c] === 0) c++;
      if (pairs) runs.push([r, start - (start % 2), c + (c % 2)]);
      else runs.push([r, start, c]);
    }
  }
  return runs;
}

function cleanRle(
  g: ImageGeometry,
  mask: Uint8Array,
  dataset: DicomDataset,
  source: string,
): ElementPlan {
  const { element } = g;
  const fragments = fragmentsOf(dataset, element);
  const [offsets, ...frames] = fragments;
  if (!offsets || frames.length !== g.frames)
    throw unsupported(
      source,
      `its RLE pixel data has ${frames.length} fragments for ${g.frames} frames`,
    );
  const pixels = g.rows * g.columns;
  const what = (): string => `${source}: pixel data`;
  const encoded = frames.map((frame) => {
    const segments = decodeRleFrame(frame, pixels, what);
    for (const segment of segments)
      for (let p = 0; p < pixels; p++) if (mask[p] === 0) segment[p] = 0;
    return encodeRleFrame(segments, g.columns);
  });
  const le = dataset.encoding.littleEndian;
  const item = (length: number): Buffer => {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0xfffe, 0);
    header.writeUInt16LE(0xe000, 2);
    header.writeUInt32LE(length, 4);
    return header;
  };
  const table = Buffer.alloc(offsets.length === 0 ? 0 : 4 * frames.length);
  if (table.length > 0) {
    let at = 0;
    encoded.forEach((frame, i) => {
      table.writeUInt32LE(at, 4 * i);
      at += 8 + frame.length;
    });
  }
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const header = encodeHeader(element.tag, 'OB', 0xffffffff, {
    littleEndian: le,
    explicitVr: dataset.encoding.explicitVr,
  });
  return {
    op: 'encoded',
    tag: element.tag,
    bytes: Buffer.concat([
      header,
      item(table.length),
      table,
      ...encoded.flatMap((f) => [item(f.length), f]),
      delimiter,
    ]),
  };
}

/** The fragments of encapsulated pixel data (the first is the Basic Offset Table). */
export function fragmentsOf(dataset: DicomDataset, element: DicomElement): Buffer[] {
  const { buffer } = dataset;
  const out: Buffer[] = [];
  let pos = element.valueOffset;
  const end = element.valueOffset + element.length;
  while (pos + 8 <= end) {
    const length = buffer.readUInt32LE(pos + 4);
    out.push(buffer.subarray(pos + 8, pos + 8 + length));
    pos += 8 + length;
  }
  return out;
}
