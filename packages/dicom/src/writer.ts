/**
 * The pixel-preserving writer: a data set is written from a plan that copies untouched
 * elements byte for byte (slices of the input), splices new values in, and recomputes the
 * defined lengths of the sequences and items around changes (undefined lengths stay
 * undefined, with their delimitation items copied).
 */
import { SomError } from '@som/core';
import type { DicomDataset, DicomElement, DicomItem } from './dataset';
import { type Tag, Tags } from './tags';
import type { Encoding } from './transfer-syntax';
import { hasLongLength } from './vr';

/** What to write for one element. */
export type ElementPlan =
  /** The element's bytes, as read. */
  | { readonly op: 'copy'; readonly element: DicomElement }
  /** A new or replaced element with this (already padded) value. */
  | { readonly op: 'value'; readonly tag: Tag; readonly vr: string; readonly value: Buffer }
  /** A kept sequence whose items changed. */
  | { readonly op: 'sequence'; readonly element: DicomElement; readonly items: readonly ItemPlan[] }
  /** An element already encoded (header, value and any delimiter), e.g. cleaned encapsulated pixel data. */
  | { readonly op: 'encoded'; readonly tag: Tag; readonly bytes: Buffer }
  /** A new sequence of defined length, one element list per item. */
  | {
      readonly op: 'new-sequence';
      readonly tag: Tag;
      readonly items: readonly (readonly ElementPlan[])[];
    };

/** What to write for one item of a kept sequence. */
export interface ItemPlan {
  /** The item as read. */
  readonly item: DicomItem;
  /** Its elements. */
  readonly elements: readonly ElementPlan[];
}

function writeTag(out: Buffer, pos: number, tag: Tag, le: boolean): void {
  if (le) {
    out.writeUInt16LE(tag >>> 16, pos);
    out.writeUInt16LE(tag & 0xffff, pos + 2);
  } else {
    out.writeUInt32BE(tag >>> 0, pos);
  }
}

/**
 * Copied elements at least this long are handed on as slices of the input instead of being
 * copied (the pixel data, large binary values); everything else is copied into one buffer,
 * so that a file of many small items does not become as many small buffers.
 */
const SLICE_BYTES = 64 * 1024;

/**
 * The encoded size of every plan of a tree, computed once (sequence lengths need them): the
 * size of each list of plans is remembered, and every plan belongs to one list.
 */
class Sizes {
  /** The bytes of the values that are written as slices (see {@link SLICE_BYTES}). */
  sliced = 0;
  private readonly items = new Map<readonly ElementPlan[], number>();

  /** The bytes of `plans`, written as elements of `encoding`. */
  of(plans: readonly ElementPlan[], encoding: Encoding): number {
    let size = this.items.get(plans);
    if (size === undefined) {
      size = 0;
      for (const plan of plans) size += this.element(plan, encoding);
      this.items.set(plans, size);
    }
    return size;
  }

  /** The bytes of the value (items with their headers) of a written sequence. */
  content(plan: ElementPlan, encoding: Encoding): number {
    switch (plan.op) {
      case 'sequence': {
        let size = 0;
        for (const { item, elements } of plan.items) {
          const delimiter = item.undefinedLength ? 8 : 0;
          size += 8 + this.of(elements, item.dataset.encoding) + delimiter;
        }
        return size;
      }
      case 'new-sequence': {
        let size = 0;
        for (const elements of plan.items) size += 8 + this.of(elements, encoding);
        return size;
      }
      default:
        return 0;
    }
  }

  private element(plan: ElementPlan, encoding: Encoding): number {
    let size = 0;
    switch (plan.op) {
      case 'copy':
        size = plan.element.end - plan.element.offset;
        if (size >= SLICE_BYTES) this.sliced += size;
        break;
      case 'value':
        size = headerLength(plan.vr, encoding) + plan.value.length;
        if (plan.value.length >= SLICE_BYTES) this.sliced += plan.value.length;
        break;
      case 'sequence': {
        const { element } = plan;
        const delimiter = element.undefinedLength ? 8 : 0;
        size = element.valueOffset - element.offset + this.content(plan, encoding) + delimiter;
        break;
      }
      case 'encoded':
        size = plan.bytes.length;
        if (size >= SLICE_BYTES) this.sliced += size;
        break;
      case 'new-sequence':
        size = headerLength('SQ', encoding) + this.content(plan, encoding);
        break;
    }
    return size;
  }
}

/** The length of an element header of `vr` in `encoding`. */
function headerLength(vr: string, encoding: Encoding): number {
  return encoding.explicitVr && hasLongLength(vr) ? 12 : 8;
}

/** The output being written: one buffer of the known total size, and slices for large copies. */
class Output {
  private readonly parts: Buffer[] = [];
  private readonly buffer: Buffer;
  /** Where the next byte goes in {@link buffer}. */
  private pos = 0;
  /** Where the piece of {@link buffer} not yet in {@link parts} starts. */
  private partStart = 0;

  /** @param copied the bytes to copy: all but the slices. */
  constructor(private readonly copied: number) {
    this.buffer = Buffer.allocUnsafe(copied);
  }

  /**
   * Copy `source[start, end)`, always into the one buffer: a run of consecutive small
   * elements, each below {@link SLICE_BYTES} (so counted as copied), in one call.
   */
  copyRun(source: Buffer, start: number, end: number): void {
    source.copy(this.buffer, this.pos, start, end);
    this.pos += end - start;
  }

  /** Copy `bytes`, or hand them on as a slice when they are large. */
  copy(bytes: Buffer): void {
    if (bytes.length < SLICE_BYTES) {
      bytes.copy(this.buffer, this.pos);
      this.pos += bytes.length;
      return;
    }
    this.cut();
    this.parts.push(bytes);
  }

  /** An element header. */
  header(tag: Tag, vr: string, length: number, encoding: Encoding): void {
    this.pos = encodeHeaderInto(this.buffer, this.pos, tag, vr, length, encoding);
  }

  /** An item header `(FFFE,E000)` with `length`. */
  item(length: number, le: boolean): void {
    writeTag(this.buffer, this.pos, Tags.Item, le);
    this.u32(this.pos + 4, length, le);
    this.pos += 8;
  }

  /** A copy of the header bytes `header` with the 4-byte length at its end set to `length`. */
  headerWithLength(header: Buffer, length: number, le: boolean): void {
    header.copy(this.buffer, this.pos);
    this.pos += header.length;
    this.u32(this.pos - 4, length, le);
  }

  /** The parts written: the pieces of the one buffer between the large slices. */
  finish(): Buffer[] {
    this.cut();
    if (this.pos !== this.copied)
      throw new SomError('Internal', `the writer copied ${this.pos} of ${this.copied} bytes`);
    return this.parts;
  }

  private u32(at: number, value: number, le: boolean): void {
    if (le) this.buffer.writeUInt32LE(value, at);
    else this.buffer.writeUInt32BE(value, at);
  }

  /** Close the piece of the one buffer written since the last slice. */
  private cut(): void {
    if (this.pos > this.partStart) this.parts.push(this.buffer.subarray(this.partStart, this.pos));
    this.partStart = this.pos;
  }
}

/** Encode an element header at `pos` of `out`; returns the offset after it. */
function encodeHeaderInto(
  out: Buffer,
  pos: number,
  tag: Tag,
  vr: string,
  length: number,
  encoding: Encoding,
): number {
  const le = encoding.littleEndian;
  writeTag(out, pos, tag, le);
  if (!encoding.explicitVr) {
    if (le) out.writeUInt32LE(length, pos + 4);
    else out.writeUInt32BE(length, pos + 4);
    return pos + 8;
  }
  out.write(vr, pos + 4, 'latin1');
  if (hasLongLength(vr)) {
    out.writeUInt16LE(0, pos + 6);
    if (le) out.writeUInt32LE(length, pos + 8);
    else out.writeUInt32BE(length, pos + 8);
    return pos + 12;
  }
  if (length > 0xffff) {
    throw new SomError(
      'InvalidArgument',
      `a value of ${length} bytes does not fit VR ${vr} (at most 65535)`,
    );
  }
  if (le) out.writeUInt16LE(length, pos + 6);
  else out.writeUInt16BE(length, pos + 6);
  return pos + 8;
}

/** The header of an element with `length` value bytes, in `encoding`. */
export function encodeHeader(tag: Tag, vr: string, length: number, encoding: Encoding): Buffer {
  const out = Buffer.alloc(headerLength(vr, encoding));
  encodeHeaderInto(out, 0, tag, vr, length, encoding);
  return out;
}

function writeElements(
  plans: readonly ElementPlan[],
  dataset: DicomDataset,
  out: Output,
  sizes: Sizes,
): void {
  const { buffer, encoding } = dataset;
  // Small elements copied as they are and next to each other in the input are copied in
  // one run (most of a header is kept as it is).
  let runStart = 0;
  let runEnd = 0;
  const flush = (): void => {
    if (runEnd > runStart) out.copyRun(buffer, runStart, runEnd);
    runStart = runEnd = 0;
  };
  for (const plan of plans) {
    if (plan.op === 'copy' && plan.element.end - plan.element.offset < SLICE_BYTES) {
      const { offset, end } = plan.element;
      if (offset !== runEnd || runEnd === 0) {
        flush();
        runStart = offset;
      }
      runEnd = end;
      continue;
    }
    flush();
    switch (plan.op) {
      case 'copy':
        out.copy(buffer.subarray(plan.element.offset, plan.element.end));
        break;
      case 'value':
        out.header(plan.tag, plan.vr, plan.value.length, encoding);
        out.copy(plan.value);
        break;
      case 'encoded':
        out.copy(plan.bytes);
        break;
      case 'sequence':
        writeSequence(plan, dataset, out, sizes);
        break;
      case 'new-sequence':
        out.header(plan.tag, 'SQ', sizes.content(plan, encoding), encoding);
        for (const elements of plan.items) {
          out.item(sizes.of(elements, encoding), encoding.littleEndian);
          writeElements(elements, dataset, out, sizes);
        }
        break;
    }
  }
  flush();
}

function writeSequence(
  plan: Extract<ElementPlan, { op: 'sequence' }>,
  dataset: DicomDataset,
  out: Output,
  sizes: Sizes,
): void {
  const { element } = plan;
  const { buffer, encoding } = dataset;
  const header = buffer.subarray(element.offset, element.valueOffset);
  // SQ and UN headers end with a 4-byte length in both explicit and implicit VR; an
  // undefined length stays undefined, with its delimitation item copied.
  if (element.undefinedLength) out.copy(header);
  else out.headerWithLength(header, sizes.content(plan, encoding), encoding.littleEndian);
  for (const { item, elements } of plan.items) {
    const itemHeader = buffer.subarray(item.offset, item.offset + 8);
    const itemEncoding = item.dataset.encoding;
    if (item.undefinedLength) out.copy(itemHeader);
    else
      out.headerWithLength(itemHeader, sizes.of(elements, itemEncoding), itemEncoding.littleEndian);
    writeElements(elements, item.dataset, out, sizes);
    if (item.undefinedLength) out.copy(buffer.subarray(item.end - 8, item.end));
  }
  if (element.undefinedLength) out.copy(buffer.subarray(element.end - 8, element.end));
}

/**
 * Write the elements of `plans`, belonging to `dataset`: the parts to concatenate (one new
 * buffer, and slices of the input for large untouched elements) and their total length.
 */
export function writeDataset(
  plans: readonly ElementPlan[],
  dataset: DicomDataset,
): { parts: Buffer[]; length: number } {
  const sizes = new Sizes();
  const length = sizes.of(plans, dataset.encoding);
  const out = new Output(length - sizes.sliced);
  writeElements(plans, dataset, out, sizes);
  return { parts: out.finish(), length };
}
