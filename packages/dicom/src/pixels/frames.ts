/**
 * Decoded frames for looking at the image (text detection): each frame as 8-bit gray,
 * windowed by the file's first Window Center/Width (after the rescale) or stretched from
 * its own minimum to maximum, MONOCHROME1 inverted, colour reduced to luminance.
 */
import type { DicomDataset } from '../dataset';
import { fragmentsOf, type ImageGeometry, imageGeometry } from './clean';
import { QuarantineError } from './quarantine';
import { decodeRleFrame } from './rle';

/** One frame as 8-bit gray, row by row. */
export interface GrayFrame {
  /** The frame's index (0-based). */
  readonly index: number;
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** width x height bytes. */
  readonly pixels: Uint8Array;
}

const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

/**
 * The frames of a file's pixel data as 8-bit gray (none when it has no pixel data). Pixel
 * data this module cannot decode (encapsulated other than RLE) is a {@link QuarantineError}:
 * what cannot be looked at cannot be said to hold no text.
 */
export function* grayFrames(
  dataset: DicomDataset,
  transferSyntaxUid: string,
  source: string,
): Generator<GrayFrame> {
  const geometry = imageGeometry(dataset, source);
  if (!geometry) return;
  const { rows, columns, frames } = geometry;
  const window = windowOf(dataset);
  for (let f = 0; f < frames; f++) {
    const values = frameValues(geometry, dataset, transferSyntaxUid, f, source);
    yield {
      index: f,
      width: columns,
      height: rows,
      pixels: toGray(values, window, geometry.photometric),
    };
  }
}

interface Window {
  readonly center: number;
  readonly width: number;
  readonly slope: number;
  readonly intercept: number;
}

function windowOf(dataset: DicomDataset): Window | undefined {
  const center = Number.parseFloat((dataset.string(0x00281050) ?? '').split('\\')[0] ?? '');
  const width = Number.parseFloat((dataset.string(0x00281051) ?? '').split('\\')[0] ?? '');
  if (!Number.isFinite(center) || !Number.isFinite(width) || width < 1) return undefined;
  return {
    center,
    width,
    slope: dataset.number(0x00281053) ?? 1,
    intercept: dataset.number(0x00281052) ?? 0,
  };
}

/** The frame's values: one per pixel (luminance for colour). */
function frameValues(
  g: ImageGeometry,
  dataset: DicomDataset,
  syntax: string,
  frame: number,
  source: string,
): Float64Array {
  const { rows, columns, samples, bitsAllocated, element } = g;
  const pixels = rows * columns;
  const out = new Float64Array(pixels);
  const signed = dataset.number(0x00280103) === 1;
  let read: (sample: number, pixel: number) => number;
  if (element.encapsulated) {
    if (syntax !== RLE_LOSSLESS) {
      throw new QuarantineError(source, {
        reason: 'cannot-clean',
        detail: `its pixels must be searched for text, but pixel data in transfer syntax ${syntax} cannot be decoded here`,
      });
    }
    const fragment = fragmentsOf(dataset, element)[frame + 1];
    if (!fragment)
      throw new QuarantineError(source, {
        reason: 'cannot-clean',
        detail: `its RLE pixel data lacks frame ${frame + 1}`,
      });
    const segments = decodeRleFrame(fragment, pixels, () => `${source}: pixel data`);
    const bytes = bitsAllocated / 8;
    read = (s, p) => {
      let v = 0;
      for (let b = 0; b < bytes; b++) v = v * 256 + (segments[s * bytes + b]?.[p] ?? 0);
      if (signed && bitsAllocated < 32 && v >= 2 ** (bitsAllocated - 1)) v -= 2 ** bitsAllocated;
      return v;
    };
  } else {
    const value = dataset.valueBytes(element);
    const le = dataset.encoding.littleEndian;
    const float = element.tag !== 0x7fe00010;
    if (bitsAllocated === 1) {
      read = (_s, p) => {
        const bit = frame * pixels + p;
        return ((value[bit >>> 3] ?? 0) >> (bit & 7)) & 1;
      };
    } else {
      const bytes = bitsAllocated / 8;
      const base = frame * pixels * samples * bytes;
      const at = (s: number, p: number): number =>
        base + (g.planar ? s * pixels + p : p * samples + s) * bytes;
      read = (s, p) => {
        const i = at(s, p);
        if (i + bytes > value.length) return 0;
        if (float)
          return bytes === 4
            ? le
              ? value.readFloatLE(i)
              : value.readFloatBE(i)
            : le
              ? value.readDoubleLE(i)
              : value.readDoubleBE(i);
        if (bytes === 1) return signed ? value.readInt8(i) : (value[i] ?? 0);
        if (bytes === 2)
          return signed
            ? le
              ? value.readInt16LE(i)
              : value.readInt16BE(i)
            : le
              ? value.readUInt16LE(i)
              : value.readUInt16BE(i);
        return signed
          ? le
            ? value.readInt32LE(i)
            : value.readInt32BE(i)
          : le
            ? value.readUInt32LE(i)
            : value.readUInt32BE(i);
      };
    }
  }
  const colour = samples === 3 && g.photometric === 'RGB';
  for (let p = 0; p < pixels; p++)
    out[p] = colour ? 0.299 * read(0, p) + 0.587 * read(1, p) + 0.114 * read(2, p) : read(0, p);
  return out;
}

function toGray(values: Float64Array, window: Window | undefined, photometric: string): Uint8Array {
  const out = new Uint8Array(values.length);
  let low: number;
  let high: number;
  if (window) {
    low = (window.center - 0.5 - (window.width - 1) / 2 - window.intercept) / window.slope;
    high = (window.center - 0.5 + (window.width - 1) / 2 - window.intercept) / window.slope;
  } else {
    low = Infinity;
    high = -Infinity;
    for (const v of values) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  const span = high > low ? high - low : 1;
  const invert = photometric === 'MONOCHROME1';
  for (let p = 0; p < values.length; p++) {
    const g = Math.round(((values[p] ?? 0) - low) * (255 / span));
    const clamped = g < 0 ? 0 : g > 255 ? 255 : g;
    out[p] = invert ? 255 - clamped : clamped;
  }
  return out;
}
