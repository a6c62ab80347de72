/**
 * Encoding a new text value for an element: in the data set's character set (or ASCII for
 * the default-repertoire VRs), numbers in the data set's byte order, padded to even length.
 */
import { SomError } from '@som/core';
import type { DicomDataset } from '../dataset';
import { isoToDicom } from '../dates';
import { isTextVr, paddingByte, usesCharacterSet } from '../vr';

type NumberWriter = (out: Buffer, value: number, pos: number, le: boolean) => void;

const NUMBER_WRITERS: Readonly<Record<string, { size: number; write: NumberWriter }>> = {
  US: { size: 2, write: (o, v, p, le) => (le ? o.writeUInt16LE(v, p) : o.writeUInt16BE(v, p)) },
  SS: { size: 2, write: (o, v, p, le) => (le ? o.writeInt16LE(v, p) : o.writeInt16BE(v, p)) },
  UL: { size: 4, write: (o, v, p, le) => (le ? o.writeUInt32LE(v, p) : o.writeUInt32BE(v, p)) },
  SL: { size: 4, write: (o, v, p, le) => (le ? o.writeInt32LE(v, p) : o.writeInt32BE(v, p)) },
  FL: { size: 4, write: (o, v, p, le) => (le ? o.writeFloatLE(v, p) : o.writeFloatBE(v, p)) },
  FD: { size: 8, write: (o, v, p, le) => (le ? o.writeDoubleLE(v, p) : o.writeDoubleBE(v, p)) },
};

/**
 * The value bytes of `text` for an element of `vr` in `dataset`. `describe` names the
 * element in errors (a value that cannot be written is a SomError, never a silent change).
 */
export function encodeValue(
  text: string,
  vr: string,
  dataset: DicomDataset,
  describe: () => string,
): Buffer {
  if (isTextVr(vr)) {
    const value = isoToDicom(text, vr);
    let bytes: Buffer;
    if (usesCharacterSet(vr)) {
      const encoded = dataset.characterSet.encode(value);
      if (!encoded) {
        throw new SomError(
          'InvalidArgument',
          `${describe()}: the new value cannot be written in the data set's Specific Character Set`,
        );
      }
      bytes = encoded;
    } else {
      if (!/^[\x20-\x7e]*$/.test(value)) {
        throw new SomError(
          'InvalidArgument',
          `${describe()}: the new value has characters not allowed in VR ${vr}`,
        );
      }
      bytes = Buffer.from(value, 'latin1');
    }
    return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.of(paddingByte(vr))]);
  }
  if (vr === 'UN') return encodeUnknown(text, dataset, describe);
  if (vr === 'AT') return encodeTags(text, dataset.encoding.littleEndian, describe);
  if (vr === 'SV' || vr === 'UV')
    return encodeBig(text, vr, dataset.encoding.littleEndian, describe);
  const writer = NUMBER_WRITERS[vr];
  if (!writer)
    throw new SomError('InvalidArgument', `${describe()}: cannot write a text value into VR ${vr}`);
  const values = text === '' ? [] : text.split('\\').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isFinite(v))) {
    throw new SomError(
      'InvalidArgument',
      `${describe()}: the new value is not a number for VR ${vr}`,
    );
  }
  const out = Buffer.alloc(values.length * writer.size);
  values.forEach((v, i) => writer.write(out, v, i * writer.size, dataset.encoding.littleEndian));
  return out;
}

/** A UN value (a private element of an implicit VR file): the text in the character set, padded with a space. */
function encodeUnknown(text: string, dataset: DicomDataset, describe: () => string): Buffer {
  const bytes = dataset.characterSet.encode(text);
  if (!bytes) {
    throw new SomError(
      'InvalidArgument',
      `${describe()}: the new value cannot be written in the data set's character set`,
    );
  }
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.of(0x20)]);
}

/** AT values: `(gggg,eeee)`, `gggg,eeee`, `ggggeeee` or `0xggggeeee`, separated by `\`. */
function encodeTags(text: string, le: boolean, describe: () => string): Buffer {
  const values = text === '' ? [] : text.split('\\');
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => {
    const m = /^\(?(?:0x)?([0-9a-f]{4}),?\s*([0-9a-f]{4})\)?$/i.exec(v.trim());
    if (!m)
      throw new SomError('InvalidArgument', `${describe()}: the new value is not a tag for VR AT`);
    const group = parseInt(m[1] ?? '', 16);
    const element = parseInt(m[2] ?? '', 16);
    if (le) {
      out.writeUInt16LE(group, i * 4);
      out.writeUInt16LE(element, i * 4 + 2);
    } else {
      out.writeUInt16BE(group, i * 4);
      out.writeUInt16BE(element, i * 4 + 2);
    }
  });
  return out;
}

/** SV and UV values: whole numbers of 64 bits (as BigInt, exactly). */
function encodeBig(text: string, vr: 'SV' | 'UV', le: boolean, describe: () => string): Buffer {
  const values = text === '' ? [] : text.split('\\').map((v) => v.trim());
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => {
    let n: bigint;
    try {
      n = BigInt(v);
    } catch {
      throw new SomError(
        'InvalidArgument',
        `${describe()}: the new value is not a whole number for VR ${vr}`,
      );
    }
    const ok = vr === 'UV' ? n >= 0n && n < 1n << 64n : n >= -(1n << 63n) && n < 1n << 63n;
    if (!ok)
      throw new SomError(
        'InvalidArgument',
        `${describe()}: the new value is out of range for VR ${vr}`,
      );
    if (vr === 'UV') {
      if (le) out.writeBigUInt64LE(n, i * 8);
      else out.writeBigUInt64BE(n, i * 8);
    } else if (le) out.writeBigInt64LE(n, i * 8);
    else out.writeBigInt64BE(n, i * 8);
  });
  return out;
}
