/**
 * The DICOM reader: Part 10 files (with or without preamble and file meta group) in every
 * transfer syntax: explicit and implicit VR little endian, explicit VR big endian, deflated,
 * and encapsulated pixel data. Sequences of defined and undefined length at any depth (up
 * to {@link MAX_SEQUENCE_DEPTH}). Every malformation is a SomError InvalidArgument naming
 * the file and the byte offset; nothing is guessed past the end of the buffer.
 */
import { inflateRawSync } from 'node:zlib';
import { SomError } from '@som/core';
import { DicomDataset, type DicomElement, type DicomItem } from './dataset';
import { lookupTag } from './dictionary';
import { DicomRefusal } from './refusal';
import {
  formatTag,
  isPrivateCreatorTag,
  isPrivateTag,
  isGroupLengthTag,
  Tags,
  type Tag,
} from './tags';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  META_ENCODING,
  transferSyntaxOf,
  type Encoding,
  type TransferSyntax,
} from './transfer-syntax';
import { hasLongLength, knownVr } from './vr';

/** Sequences nested deeper than this are rejected (a defence against hostile files). */
export const MAX_SEQUENCE_DEPTH = 64;

/** A deflated data set may not inflate to more than this many bytes. */
export const MAX_INFLATED_BYTES = 1 << 30;

/**
 * A file may hold at most this many elements and sequence items (at every depth, file meta
 * group included): every one costs memory, however few bytes it takes in the file.
 */
export const MAX_STRUCTURES = 1_000_000;

const UNDEFINED_LENGTH = 0xffffffff;

/** A limit passed: never taken back, even where a parse is only tried. */
class LimitError extends DicomRefusal {
  constructor(message: string) {
    super('over-limits', message);
  }
}
const IMPLICIT_LE: Encoding = { littleEndian: true, explicitVr: false };

/** A parsed DICOM file. */
export interface ParsedDicom {
  /** The name of the file, for messages. */
  readonly source: string;
  /** The file's bytes. */
  readonly buffer: Buffer;
  /** The file has the 128-byte preamble and `DICM`. */
  readonly hasPreamble: boolean;
  /** The file meta group (empty when the file has none). */
  readonly meta: DicomDataset;
  /** Offset in {@link buffer} where the data set starts. */
  readonly datasetOffset: number;
  /**
   * The transfer syntax the data set is actually encoded in: the declared one, or the one
   * detected from the first element when the file declares none (or a wrong VR mode).
   */
  readonly transferSyntax: TransferSyntax;
  /** The data set; its buffer is {@link buffer}, or the inflated data set if deflated. */
  readonly dataset: DicomDataset;
  /** True when parsing stopped at the top-level Pixel Data (see {@link ParseOptions}). */
  readonly stoppedAtPixelData: boolean;
}

/** Options of {@link parseDicom}. */
export interface ParseOptions {
  /** Stop before the top-level Pixel Data (7FE0,0010): read the header only. */
  readonly stopAtPixelData?: boolean;
}

/** Parse a DICOM file held in memory. */
export function parseDicom(
  buffer: Buffer,
  source: string,
  options: ParseOptions = {},
): ParsedDicom {
  return new Parser(source, options.stopAtPixelData ?? false).parse(buffer);
}

function readTag(buf: Buffer, pos: number, le: boolean): Tag {
  return le
    ? ((buf.readUInt16LE(pos) << 16) | buf.readUInt16LE(pos + 2)) >>> 0
    : ((buf.readUInt16BE(pos) << 16) | buf.readUInt16BE(pos + 2)) >>> 0;
}

function readU32(buf: Buffer, pos: number, le: boolean): number {
  return le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
}

/** The VR of an element in an implicit VR data set. */
/** A private data element whose value begins with an item tag (FFFE,E000): perhaps a sequence. */
function privateItems(buf: Buffer, tag: Tag, valueOffset: number, length: number): boolean {
  return (
    isPrivateTag(tag) &&
    !isPrivateCreatorTag(tag) &&
    length >= 8 &&
    buf.readUInt32LE(valueOffset) === 0xe000fffe
  );
}

function implicitVr(tag: Tag): string {
  if (isPrivateTag(tag)) return isPrivateCreatorTag(tag) ? 'LO' : 'UN';
  if (isGroupLengthTag(tag)) return 'UL';
  return lookupTag(tag)?.vr ?? 'UN';
}

/** The known VR written at `pos`, or undefined. */
function vrAt(buf: Buffer, pos: number): string | undefined {
  return knownVr(buf[pos] ?? 0, buf[pos + 1] ?? 0);
}

/**
 * A new element. Every element has all the fields (`items` and `encapsulated` undefined
 * where they do not apply): elements of one shape keep the code that reads them fast.
 */
function element(
  tag: Tag,
  vr: string,
  offset: number,
  valueOffset: number,
  length: number,
  end: number,
  undefinedLength: boolean,
  items?: readonly DicomItem[],
  encapsulated?: boolean,
): DicomElement {
  return { tag, vr, offset, valueOffset, length, end, undefinedLength, items, encapsulated };
}

class Parser {
  private stopped = false;
  /** Elements and items read so far (see {@link MAX_STRUCTURES}). */
  private structures = 0;
  /** Where offsets are counted, for messages. */
  private where = '';

  constructor(
    private readonly source: string,
    private readonly stopAtPixelData: boolean,
  ) {}

  private fail(message: string, offset: number): never {
    throw new DicomRefusal('malformed', this.at(message, offset));
  }

  /** `message` about the byte at `offset`, naming the file. */
  private at(message: string, offset: number): string {
    return `${this.source}: ${message} at byte ${offset}${this.where}`;
  }

  parse(buffer: Buffer): ParsedDicom {
    let pos = 0;
    const hasPreamble = buffer.length >= 132 && buffer.toString('latin1', 128, 132) === 'DICM';
    if (hasPreamble) pos = 132;
    if (pos + 8 > buffer.length) this.fail('no data set (file too short)', pos);
    let meta = new DicomDataset(buffer, META_ENCODING);
    if (buffer.readUInt16LE(pos) === 0x0002) ({ meta, end: pos } = this.parseMeta(buffer, pos));

    const declared = meta.get(Tags.TransferSyntaxUID);
    const declaredUid = declared ? meta.text(declared) : undefined;
    let syntax = transferSyntaxOf(declaredUid || this.detectTransferSyntax(buffer, pos));
    let buf = buffer;
    let start = pos;
    if (syntax.deflated) {
      buf = this.inflate(buffer, pos);
      start = 0;
      this.where = ' of the inflated data set';
    } else if (declaredUid) {
      syntax = this.checkVrMode(buffer, pos, syntax);
    }
    const dataset = new DicomDataset(buf, syntax);
    this.parseElements(buf, start, buf.length, dataset, 0, false);
    return {
      source: this.source,
      buffer,
      hasPreamble,
      meta,
      datasetOffset: pos,
      transferSyntax: syntax,
      dataset,
      stoppedAtPixelData: this.stopped,
    };
  }

  /** Parse the file meta group; `end` is the offset of the data set. */
  private parseMeta(buffer: Buffer, start: number): { meta: DicomDataset; end: number } {
    // The meta group is explicit VR little endian; tolerate writers that used implicit VR.
    const encoding = vrAt(buffer, start + 4) !== undefined ? META_ENCODING : IMPLICIT_LE;
    const meta = new DicomDataset(buffer, encoding);
    let pos = start;
    let metaEnd = Infinity;
    while (pos + 8 <= buffer.length && buffer.readUInt16LE(pos) === 0x0002 && pos < metaEnd) {
      const element = this.readElement(buffer, pos, buffer.length, encoding, 0, meta);
      meta.elements.push(element);
      if (element.tag === Tags.FileMetaInformationGroupLength && element.length === 4) {
        metaEnd = element.end + buffer.readUInt32LE(element.valueOffset);
      }
      pos = element.end;
    }
    return { meta, end: pos };
  }

  /** The transfer syntax of a data set that declares none, from its first element. */
  private detectTransferSyntax(buffer: Buffer, pos: number): string {
    if (pos + 8 > buffer.length) this.fail('no data set (file too short)', pos);
    const littleEndian = buffer.readUInt16LE(pos) <= buffer.readUInt16BE(pos);
    const explicit = vrAt(buffer, pos + 4) !== undefined;
    if (!littleEndian && !explicit) this.fail('not a DICOM data set (implicit VR big endian)', pos);
    if (!littleEndian) return EXPLICIT_VR_BIG_ENDIAN;
    return explicit ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
  }

  /**
   * Some writers declare explicit VR and write implicit VR (or the reverse). As pydicom
   * and dcmtk do, believe the first element: the output declares what is really there.
   */
  private checkVrMode(buffer: Buffer, pos: number, declared: TransferSyntax): TransferSyntax {
    if (!declared.littleEndian || pos + 8 > buffer.length) return declared;
    const explicit = vrAt(buffer, pos + 4) !== undefined;
    if (explicit === declared.explicitVr) return declared;
    if (
      !explicit &&
      declared.explicitVr &&
      buffer.readUInt32LE(pos + 4) <= buffer.length - pos - 8
    ) {
      return transferSyntaxOf(IMPLICIT_VR_LITTLE_ENDIAN);
    }
    if (
      explicit &&
      !declared.explicitVr &&
      buffer.readUInt32LE(pos + 4) > buffer.length - pos - 8
    ) {
      return transferSyntaxOf(EXPLICIT_VR_LITTLE_ENDIAN);
    }
    return declared;
  }

  private inflate(buffer: Buffer, pos: number): Buffer {
    try {
      return inflateRawSync(buffer.subarray(pos), { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new LimitError(
          `${this.source}: the deflated data set inflates to more than ${MAX_INFLATED_BYTES} bytes`,
        );
      throw new DicomRefusal(
        'malformed',
        `${this.source}: the deflated data set does not inflate: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Parse elements from `start` into `dataset` until `limit`, or (`untilItemDelimiter`)
   * through the closing item delimitation item. Returns the offset after the last byte read.
   */
  private parseElements(
    buf: Buffer,
    start: number,
    limit: number,
    dataset: DicomDataset,
    depth: number,
    untilItemDelimiter: boolean,
  ): number {
    const found: DicomElement[] = [];
    const le = dataset.encoding.littleEndian;
    let pos = start;
    while (pos < limit) {
      if (pos + 8 > limit) this.fail('truncated element header', pos);
      const tag = readTag(buf, pos, le);
      if (tag === Tags.ItemDelimitationItem) {
        if (!untilItemDelimiter)
          this.fail('item delimitation item outside an item of undefined length', pos);
        return this.done(dataset, found, pos + 8);
      }
      if (tag === Tags.Item || tag === Tags.SequenceDelimitationItem) {
        this.fail(`unexpected ${formatTag(tag)} among the elements of a data set`, pos);
      }
      if (depth === 0 && this.stopAtPixelData && tag === Tags.PixelData) {
        this.stopped = true;
        return this.done(dataset, found, pos);
      }
      const element = this.readElement(buf, pos, limit, dataset.encoding, depth, dataset);
      found.push(element);
      pos = element.end;
    }
    if (untilItemDelimiter)
      this.fail('item of undefined length without its item delimitation item (truncated)', pos);
    return this.done(dataset, found, pos);
  }

  /**
   * Give `dataset` the elements `found`, as an exact-size copy (a grown array keeps room for
   * more elements, which adds up to most of the memory of a file of many small items), and
   * return `end`.
   */
  private done(dataset: DicomDataset, found: DicomElement[], end: number): number {
    dataset.elements = found.slice();
    return end;
  }

  /** Count one more element or item; past {@link MAX_STRUCTURES} the file is refused. */
  private count(pos: number): void {
    if (++this.structures > MAX_STRUCTURES)
      throw new LimitError(
        this.at(`more than ${MAX_STRUCTURES} elements and items in one file`, pos),
      );
  }

  private readElement(
    buf: Buffer,
    pos: number,
    limit: number,
    encoding: Encoding,
    depth: number,
    parent: DicomDataset,
  ): DicomElement {
    const le = encoding.littleEndian;
    if (pos + 8 > limit) this.fail('truncated element header', pos);
    this.count(pos);
    const tag = readTag(buf, pos, le);
    let vr: string;
    let length: number;
    let valueOffset: number;
    if (encoding.explicitVr) {
      const written = vrAt(buf, pos + 4);
      if (written === undefined) this.fail(`invalid VR for ${formatTag(tag)}`, pos);
      vr = written;
      if (hasLongLength(vr)) {
        if (pos + 12 > limit) this.fail('truncated element header', pos);
        length = readU32(buf, pos + 8, le);
        valueOffset = pos + 12;
      } else {
        length = le ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6);
        valueOffset = pos + 8;
      }
    } else {
      vr = implicitVr(tag);
      length = readU32(buf, pos + 4, le);
      valueOffset = pos + 8;
    }

    if (length === UNDEFINED_LENGTH) {
      if (vr === 'SQ' || (vr === 'UN' && tag !== Tags.PixelData)) {
        // PS3.5 6.2.2: a UN element of undefined length is a sequence in implicit VR LE.
        const inner = vr === 'SQ' ? encoding : IMPLICIT_LE;
        const { items, end } = this.parseItems(
          buf,
          valueOffset,
          undefined,
          limit,
          inner,
          depth + 1,
          parent,
        );
        return element(tag, vr, pos, valueOffset, end - 8 - valueOffset, end, true, items);
      }
      if (tag === Tags.PixelData)
        return this.readFragments(buf, tag, vr, pos, valueOffset, limit, le);
      this.fail(
        `${DicomDataset.describe(tag)} has an undefined length, not allowed for VR ${vr}`,
        pos,
      );
    }

    const end = valueOffset + length;
    if (end > limit) {
      this.fail(
        `${DicomDataset.describe(tag)} declares a value of ${length} bytes, past the end of its ` +
          `${limit === buf.length ? 'file' : 'enclosing item'} (${Math.max(0, limit - valueOffset)} bytes left)`,
        pos,
      );
    }
    if (vr === 'SQ') {
      const { items } = this.parseItems(buf, valueOffset, end, end, encoding, depth + 1, parent);
      return element(tag, vr, pos, valueOffset, length, end, false, items);
    }
    if (
      vr === 'UN' &&
      length > 0 &&
      (lookupTag(tag)?.vr === 'SQ' || privateItems(buf, tag, valueOffset, length))
    ) {
      // A sequence sent as UN with a defined length (a standard one, or a private one whose
      // value starts with an item, as implicit VR writes them): its items are implicit VR LE.
      const items = this.tryParseItems(buf, valueOffset, end, depth + 1, parent);
      if (items) return element(tag, vr, pos, valueOffset, length, end, false, items);
    }
    return element(tag, vr, pos, valueOffset, length, end, false);
  }

  private tryParseItems(
    buf: Buffer,
    start: number,
    end: number,
    depth: number,
    parent: DicomDataset,
  ): readonly DicomItem[] | undefined {
    try {
      return this.parseItems(buf, start, end, end, IMPLICIT_LE, depth, parent).items;
    } catch (err) {
      // Not a sequence after all: keep the value as bytes. A limit passed is hostile.
      if (err instanceof SomError && !(err instanceof LimitError)) return undefined;
      throw err;
    }
  }

  private parseItems(
    buf: Buffer,
    start: number,
    sequenceEnd: number | undefined,
    limit: number,
    encoding: Encoding,
    depth: number,
    parent: DicomDataset,
  ): { items: DicomItem[]; end: number } {
    if (depth > MAX_SEQUENCE_DEPTH) {
      throw new LimitError(
        this.at(`sequences nested deeper than ${MAX_SEQUENCE_DEPTH} levels`, start),
      );
    }
    const le = encoding.littleEndian;
    const end = sequenceEnd ?? limit;
    const items: DicomItem[] = [];
    // Empty items share one data set: a file of many empty items costs little memory.
    let empty: DicomDataset | undefined;
    let pos = start;
    for (;;) {
      if (sequenceEnd !== undefined && pos === sequenceEnd) return { items, end: pos };
      if (pos + 8 > end) {
        this.fail(
          sequenceEnd === undefined
            ? 'sequence of undefined length without its sequence delimitation item (truncated)'
            : 'sequence items overrun the sequence length',
          pos,
        );
      }
      const tag = readTag(buf, pos, le);
      const length = readU32(buf, pos + 4, le);
      if (tag === Tags.SequenceDelimitationItem) {
        if (sequenceEnd !== undefined)
          this.fail('sequence delimitation item in a sequence of defined length', pos);
        return { items, end: pos + 8 };
      }
      if (tag !== Tags.Item)
        this.fail(`expected an item in a sequence, found ${formatTag(tag)}`, pos);
      this.count(pos);
      const isEmpty =
        length === 0 ||
        (length === UNDEFINED_LENGTH &&
          pos + 16 <= end &&
          readTag(buf, pos + 8, le) === Tags.ItemDelimitationItem);
      const dataset = isEmpty
        ? (empty ??= new DicomDataset(buf, encoding, parent))
        : new DicomDataset(buf, encoding, parent);
      let itemEnd: number;
      if (length === UNDEFINED_LENGTH) {
        itemEnd = this.parseElements(buf, pos + 8, end, dataset, depth, true);
      } else {
        itemEnd = pos + 8 + length;
        if (itemEnd > end) this.fail(`item of ${length} bytes past the end of its sequence`, pos);
        this.parseElements(buf, pos + 8, itemEnd, dataset, depth, false);
      }
      items.push({
        offset: pos,
        end: itemEnd,
        undefinedLength: length === UNDEFINED_LENGTH,
        dataset,
      });
      pos = itemEnd;
    }
  }

  /** Encapsulated pixel data: fragment items up to the sequence delimitation item. */
  private readFragments(
    buf: Buffer,
    tag: Tag,
    vr: string,
    offset: number,
    valueOffset: number,
    limit: number,
    le: boolean,
  ): DicomElement {
    let pos = valueOffset;
    for (;;) {
      if (pos + 8 > limit)
        this.fail(
          'encapsulated pixel data without its sequence delimitation item (truncated)',
          pos,
        );
      const itemTag = readTag(buf, pos, le);
      const length = readU32(buf, pos + 4, le);
      if (itemTag === Tags.SequenceDelimitationItem) {
        return element(
          tag,
          vr,
          offset,
          valueOffset,
          pos - valueOffset,
          pos + 8,
          true,
          undefined,
          true,
        );
      }
      if (itemTag !== Tags.Item)
        this.fail(`expected a pixel data fragment, found ${formatTag(itemTag)}`, pos);
      if (length === UNDEFINED_LENGTH || pos + 8 + length > limit) {
        this.fail(`pixel data fragment of ${length} bytes past the end of the file`, pos);
      }
      pos += 8 + length;
    }
  }
}
