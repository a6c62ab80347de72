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
