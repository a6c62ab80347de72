/**
 * The parsed form of a data set: elements with the byte ranges they occupy in the file
 * (so the writer can copy untouched elements byte for byte), sequences with their items,
 * and typed access to values.
 */
import { SomError } from '@som/core';
import { CharacterSet } from './charset';
import { lookupTag, tagOfKeyword } from './dictionary';
import { formatTag, Tags, type Tag } from './tags';
import type { Encoding } from './transfer-syntax';
import { isSingleValuedText, isTextVr, usesCharacterSet } from './vr';

/** One data element as found in the file. Offsets index {@link DicomDataset.buffer}. */
export interface DicomElement {
  /** The tag. */
  readonly tag: Tag;
  /** The VR: as written (explicit VR) or from the dictionary (implicit VR; `UN` if unknown). */
  readonly vr: string;
  /** Offset of the element header. */
  readonly offset: number;
  /** Offset of the value. */
  readonly valueOffset: number;
  /** Value length in bytes; for an undefined length, the bytes before the closing delimiter. */
  readonly length: number;
  /** Offset just past the element, including any sequence delimitation item. */
  readonly end: number;
  /** The length field was 0xFFFFFFFF (closed by a sequence delimitation item). */
  readonly undefinedLength: boolean;
  /** The items of a sequence (also of a UN element holding an implicit VR sequence). */
  readonly items?: readonly DicomItem[];
  /** Encapsulated pixel data (fragments, not parsed further). */
  readonly encapsulated?: boolean;
}

/** One item of a sequence. Offsets index the buffer of the enclosing data set. */
export interface DicomItem {
  /** Offset of the item tag. */
  readonly offset: number;
  /** Offset just past the item, including any item delimitation item. */
  readonly end: number;
  /** The length field was 0xFFFFFFFF (closed by an item delimitation item). */
  readonly undefinedLength: boolean;
  /** The item's data set. */
  readonly dataset: DicomDataset;
}

/** A key naming an attribute: a keyword (`PatientID`), a tag text (`(0010,0020)`, `00100020`) or a tag. */
export type AttributeKey = string | Tag;

/** The tag named by `key`; a SomError InvalidArgument for an unknown keyword. */
export function resolveKey(key: AttributeKey): Tag {
  if (typeof key === 'number') return key >>> 0;
  const m = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(key.trim());
  if (m) return parseInt(`${m[1]}${m[2]}`, 16) >>> 0;
  const tag = tagOfKeyword(key.trim());
  if (tag === undefined)
    throw new SomError('InvalidArgument', `unknown DICOM keyword ${JSON.stringify(key)}`);
  return tag;
}

/**
 * The VR that governs an element's value: its own, or for a UN element of a standard
 * attribute the dictionary's (PS3.5 6.2.2: UN carries the value bytes of the real VR).
 */
export function effectiveVr(element: DicomElement): string {
  if (element.vr !== 'UN') return element.vr;
  const entry = lookupTag(element.tag);
  return entry && !entry.ambiguousVr ? entry.vr : 'UN';
}

/** A data set (the main one, the file meta group, or a sequence item). */
export class DicomDataset {
  /** The elements, in file order (set by the reader). */
  elements: DicomElement[] = [];
  private charset: CharacterSet | undefined;
  /** The first element of each tag, for the elements before {@link indexed}. */
  private index: Map<Tag, DicomElement> | undefined;
  private indexed = 0;

  /**
   * @param buffer the bytes the element offsets index.
   * @param encoding how the elements are encoded.
   * @param parent the enclosing data set of a sequence item (for the inherited character set).
   */
  constructor(
    readonly buffer: Buffer,
    readonly encoding: Encoding,
    readonly parent?: DicomDataset,
  ) {}

  /** The element with `tag`, or undefined. */
  get(tag: Tag): DicomElement | undefined {
    if (this.elements.length < 16) {
      for (const e of this.elements) if (e.tag === tag) return e;
      return undefined;
    }
    // Elements are only ever appended: index the new ones (a data set with repeated tags
    // must not be indexed again on every call).
    this.index ??= new Map();
    for (; this.indexed < this.elements.length; this.indexed++) {
      const e = this.elements[this.indexed] as DicomElement;
      if (!this.index.has(e.tag)) this.index.set(e.tag, e);
    }
    return this.index.get(tag);
  }

  /** The character set in effect: this data set's Specific Character Set, else the parent's. */
  get characterSet(): CharacterSet {
    if (!this.charset) {
      const own = this.get(Tags.SpecificCharacterSet);
      if (own) {
        const value = this.buffer.toString('latin1', own.valueOffset, own.valueOffset + own.length);
        this.charset = characterSetOf(value);
      } else {
        this.charset = this.parent?.characterSet ?? CharacterSet.DEFAULT;
      }
    }
    return this.charset;
  }

  /** The raw value bytes of `element` (a view, not a copy). */
  valueBytes(element: DicomElement): Buffer {
    return this.buffer.subarray(element.valueOffset, element.valueOffset + element.length);
  }

  /**
   * The value of `element` as text: text VRs decoded (with the character set where it
   * applies) and trimmed of padding; numbers of binary VRs (AT as tag numbers) joined
   * with `\`; empty for sequences, bulk binary data and UN.
   */
  text(element: DicomElement): string {
    const vr = effectiveVr(element);
    if (isTextVr(vr)) {
      const { valueOffset, length } = element;
      const raw = usesCharacterSet(vr)
        ? this.characterSet.decode(this.valueBytes(element), vr === 'PN')
        : this.buffer.toString('latin1', valueOffset, valueOffset + length);
      return trimText(raw, vr);
    }
    return this.numbers(element, vr).join('\\');
  }

  /**
   * The values of `element` as texts (split at `\`, except for LT, ST, UT and UR); `text`
   * is its {@link text} when the caller already has it (it is decoded only once).
   */
  texts(element: DicomElement, text = this.text(element)): string[] {
    if (text === '') return [];
    const vr = effectiveVr(element);
    if (isSingleValuedText(vr)) return [text];
    return text.split('\\').map((v) => trimText(v, vr));
  }

  /** The numeric values of `element` (binary VRs, or IS/DS text); unparsable values are NaN. */
  numbers(element: DicomElement, vr = effectiveVr(element)): number[] {
    if (vr === 'IS' || vr === 'DS')
      return this.texts(element).map((v) => (v === '' ? NaN : Number(v)));
    const spec = BINARY_NUMBER[vr];
    // A UN value of a binary VR has no defined byte order in a big endian data set.
    if (!spec || (element.vr === 'UN' && !this.encoding.littleEndian)) return [];
    const bytes = this.valueBytes(element);
    const le = this.encoding.littleEndian;
    const out: number[] = [];
    for (let i = 0; i + spec.size <= bytes.length; i += spec.size)
      out.push(spec.read(bytes, i, le));
    return out;
  }

  /** The items of a sequence element, as data sets. */
  items(element: DicomElement): DicomDataset[] {
    return (element.items ?? []).map((item) => item.dataset);
  }

  /** The text of the attribute `key` in this data set, or undefined when absent. */
  string(key: AttributeKey): string | undefined {
    const element = this.get(resolveKey(key));
    return element ? this.text(element) : undefined;
  }

  /** The first numeric value of the attribute `key`, or undefined when absent or not a number. */
  number(key: AttributeKey): number | undefined {
    const element = this.get(resolveKey(key));
    const value = element ? this.numbers(element)[0] : undefined;
    return value === undefined || Number.isNaN(value) ? undefined : value;
  }

  /** A readable name of `tag` for messages: `PatientName (0010,0010)`. */
  static describe(tag: Tag): string {
    const keyword = lookupTag(tag)?.keyword;
    return keyword ? `${keyword} ${formatTag(tag)}` : formatTag(tag);
  }
}

/** Character sets by the value of Specific Character Set (files share a few: built once each). */
const characterSets = new Map<string, CharacterSet>();
const MAX_CHARACTER_SETS = 64;

/** The character set of a Specific Character Set value (its terms split at `\` and trimmed). */
function characterSetOf(value: string): CharacterSet {
  let charset = characterSets.get(value);
  if (!charset) {
    const terms = value.split('\\').map((t) => t.replace(/[\0 ]+$/, '').trim());
    charset = new CharacterSet(terms);
    if (value.length <= 256) {
      if (characterSets.size >= MAX_CHARACTER_SETS) characterSets.clear();
      characterSets.set(value, charset);
    }
  }
  return charset;
}

const BINARY_NUMBER: Readonly<
  Record<string, { size: number; read: (b: Buffer, i: number, le: boolean) => number }>
> = {
  US: { size: 2, read: (b, i, le) => (le ? b.readUInt16LE(i) : b.readUInt16BE(i)) },
  SS: { size: 2, read: (b, i, le) => (le ? b.readInt16LE(i) : b.readInt16BE(i)) },
  UL: { size: 4, read: (b, i, le) => (le ? b.readUInt32LE(i) : b.readUInt32BE(i)) },
  SL: { size: 4, read: (b, i, le) => (le ? b.readInt32LE(i) : b.readInt32BE(i)) },
  FL: { size: 4, read: (b, i, le) => (le ? b.readFloatLE(i) : b.readFloatBE(i)) },
  FD: { size: 8, read: (b, i, le) => (le ? b.readDoubleLE(i) : b.readDoubleBE(i)) },
  SV: { size: 8, read: (b, i, le) => Number(le ? b.readBigInt64LE(i) : b.readBigInt64BE(i)) },
  UV: { size: 8, read: (b, i, le) => Number(le ? b.readBigUInt64LE(i) : b.readBigUInt64BE(i)) },
  AT: {
    size: 4,
    read: (b, i, le) =>
      le ? ((b.readUInt16LE(i) << 16) | b.readUInt16LE(i + 2)) >>> 0 : b.readUInt32BE(i),
  },
};

/** Strip the padding of a text value: trailing spaces/NULs, and leading spaces where the VR allows. */
function trimText(value: string, vr: string): string {
  // By character codes, not expressions: every value read goes through here.
  let end = value.length;
  while (end > 0 && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0)) end--;
  let start = 0;
  if (vr !== 'LT' && vr !== 'ST' && vr !== 'UT')
    while (start < end && value.charCodeAt(start) === 0x20) start++;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
