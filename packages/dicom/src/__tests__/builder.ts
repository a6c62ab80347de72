/**
 * A deliberately naive DICOM encoder for tests, independent of the package's writer: it
 * builds files element by element from literal specs, in any encoding, with defined or
 * undefined lengths.
 */
import { deflateRawSync } from 'node:zlib';

/** One element: a value (text, bytes) or the items of a sequence. */
export interface Spec {
  tag: number;
  vr: string;
  /** Text (latin1, padded to even with space, or NUL for UI), raw bytes, or items. */
  value: string | Buffer | Spec[][];
  /** Write the sequence (or its items) with undefined length. */
  undefinedLength?: boolean;
  /** Write the sequence's items with undefined length. */
  undefinedItems?: boolean;
}

/** How to encode. */
export interface Enc {
  le: boolean;
  explicit: boolean;
}

export const EXPLICIT_LE: Enc = { le: true, explicit: true };
export const IMPLICIT_LE: Enc = { le: true, explicit: false };
export const EXPLICIT_BE: Enc = { le: false, explicit: true };

const LONG = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);

function u16(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b;
}

function u32(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}

function tagBytes(tag: number, le: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, le), u16(tag & 0xffff, le)]);
}

function valueBytes(spec: Spec): Buffer {
  if (Buffer.isBuffer(spec.value)) return spec.value;
  if (typeof spec.value !== 'string') throw new Error('items are not a value');
  const raw = Buffer.from(spec.value, 'latin1');
  if (raw.length % 2 === 0) return raw;
  return Buffer.concat([raw, Buffer.of(spec.vr === 'UI' ? 0 : 0x20)]);
}

function header(tag: number, vr: string, length: number, enc: Enc): Buffer {
  if (!enc.explicit) return Buffer.concat([tagBytes(tag, enc.le), u32(length, enc.le)]);
  if (LONG.has(vr))
    return Buffer.concat([
      tagBytes(tag, enc.le),
      Buffer.from(vr),
      Buffer.alloc(2),
      u32(length, enc.le),
    ]);
  return Buffer.concat([tagBytes(tag, enc.le), Buffer.from(vr), u16(length, enc.le)]);
}

const UNDEFINED = 0xffffffff;

/** Encode a data set. */
export function encode(specs: Spec[], enc: Enc): Buffer {
  const parts: Buffer[] = [];
  for (const spec of specs) {
    if (Array.isArray(spec.value)) {
      const items = spec.value.map((item) => {
        const content = encode(item, enc);
        if (spec.undefinedItems) {
          return Buffer.concat([
            tagBytes(0xfffee000, enc.le),
            u32(UNDEFINED, enc.le),
            content,
            tagBytes(0xfffee00d, enc.le),
            u32(0, enc.le),
          ]);
        }
        return Buffer.concat([tagBytes(0xfffee000, enc.le), u32(content.length, enc.le), content]);
      });
      const body = Buffer.concat(items);
      if (spec.undefinedLength) {
        parts.push(
          header(spec.tag, spec.vr, UNDEFINED, enc),
          body,
          tagBytes(0xfffee0dd, enc.le),
          u32(0, enc.le),
        );
      } else {
        parts.push(header(spec.tag, spec.vr, body.length, enc), body);
      }
    } else {
      const value = valueBytes(spec);
      parts.push(header(spec.tag, spec.vr, value.length, enc), value);
    }
  }
  return Buffer.concat(parts);
}

/** A Part 10 file: preamble, DICM, meta group (explicit LE) and the data set (deflated for 1.2.840.10008.1.2.1.99). */
export function part10(
  specs: Spec[],
  transferSyntax: string,
  enc: Enc,
  sopClass = '1.2.840.10008.5.1.4.1.1.7',
  sopInstance = '1.2.3.4.5.6',
): Buffer {
  const metaBody = encode(
    [
      { tag: 0x00020001, vr: 'OB', value: Buffer.of(0, 1) },
      { tag: 0x00020002, vr: 'UI', value: sopClass },
      { tag: 0x00020003, vr: 'UI', value: sopInstance },
      { tag: 0x00020010, vr: 'UI', value: transferSyntax },
      { tag: 0x00020012, vr: 'UI', value: '1.2.3.999' },
      { tag: 0x00020016, vr: 'AE', value: 'SECRET_AE' },
    ],
    EXPLICIT_LE,
  );
  const groupLength = encode(
    [{ tag: 0x00020000, vr: 'UL', value: u32(metaBody.length, true) }],
    EXPLICIT_LE,
  );
  const dataset = encode(specs, enc);
  const body = transferSyntax === '1.2.840.10008.1.2.1.99' ? deflateRawSync(dataset) : dataset;
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), groupLength, metaBody, body]);
}
