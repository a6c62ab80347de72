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

/** Bytes being assembled: slices and new buffers, concatenated once. */
class Chunks {
  readonly parts: Buffer[] = [];
  length = 0;

  push(part: Buffer): void {
    this.parts.push(part);
    this.length += part.length;
  }

  append(other: Chunks): void {
    for (const p of other.parts) this.parts.push(p);
    this.length += other.length;
  }
}

function writeTag(out: Buffer, pos: number, tag: Tag, le: boolean): void {
  if (le) {
    out.writeUInt16LE(tag >>> 16, pos);
    out.writeUInt16LE(tag & 0xffff, pos + 2);
  } else {
    out.writeUInt32BE(tag >>> 0, pos);
  }
}

/** The header of an element with `length` value bytes, in `encoding`. */
export function encodeHeader(tag: Tag, vr: string, length: number, encoding: Encoding): Buffer {
  const le = encoding.littleEndian;
  if (!encoding.explicitVr) {
    const out = Buffer.alloc(8);
    writeTag(out, 0, tag, le);
    if (le) out.writeUInt32LE(length, 4);
    else out.writeUInt32BE(length, 4);
    return out;
  }
  if (hasLongLength(vr)) {
    const out = Buffer.alloc(12);
    writeTag(out, 0, tag, le);
    out.write(vr, 4, 'latin1');
    if (le) out.writeUInt32LE(length, 8);
    else out.writeUInt32BE(length, 8);
    return out;
  }
  if (length > 0xffff) {
    throw new SomError(
      'InvalidArgument',
      `a value of ${length} bytes does not fit VR ${vr} (at most 65535)`,
    );
  }
  const out = Buffer.alloc(8);
  writeTag(out, 0, tag, le);
  out.write(vr, 4, 'latin1');
  if (le) out.writeUInt16LE(length, 6);
  else out.writeUInt16BE(length, 6);
  return out;
}

/** An item header (FFFE,E000) with a defined length. */
function itemHeader(length: number, encoding: Encoding): Buffer {
  const out = Buffer.alloc(8);
  writeTag(out, 0, Tags.Item, encoding.littleEndian);
  if (encoding.littleEndian) out.writeUInt32LE(length, 4);
  else out.writeUInt32BE(length, 4);
  return out;
}

/** A copy of the 4-byte length field at `pos` of `header`, set to `length`. */
function withLength(header: Buffer, pos: number, length: number, le: boolean): Buffer {
  const out = Buffer.from(header);
  if (le) out.writeUInt32LE(length, pos);
  else out.writeUInt32BE(length, pos);
  return out;
}

function writeElements(plans: readonly ElementPlan[], dataset: DicomDataset): Chunks {
  const out = new Chunks();
  const { buffer, encoding } = dataset;
  for (const plan of plans) {
    switch (plan.op) {
      case 'copy':
        out.push(buffer.subarray(plan.element.offset, plan.element.end));
        break;
      case 'value':
        out.push(encodeHeader(plan.tag, plan.vr, plan.value.length, encoding));
        out.push(plan.value);
        break;
      case 'encoded':
        out.push(plan.bytes);
        break;
      case 'sequence':
        out.append(writeSequence(plan.element, plan.items, dataset));
        break;
      case 'new-sequence': {
        const items = new Chunks();
        for (const elements of plan.items) {
          const content = writeElements(elements, dataset);
          items.push(itemHeader(content.length, encoding));
          items.append(content);
        }
        out.push(encodeHeader(plan.tag, 'SQ', items.length, encoding));
        out.append(items);
        break;
      }
    }
  }
  return out;
}

function writeSequence(
  element: DicomElement,
  items: readonly ItemPlan[],
  dataset: DicomDataset,
): Chunks {
  const content = new Chunks();
  for (const { item, elements } of items) {
    const inner = writeElements(elements, item.dataset);
    const itemLe = item.dataset.encoding.littleEndian;
    const header = dataset.buffer.subarray(item.offset, item.offset + 8);
    if (item.undefinedLength) {
      content.push(header);
      content.append(inner);
      content.push(dataset.buffer.subarray(item.end - 8, item.end));
    } else {
      content.push(withLength(header, 4, inner.length, itemLe));
      content.append(inner);
    }
  }
  const out = new Chunks();
  const header = dataset.buffer.subarray(element.offset, element.valueOffset);
  if (element.undefinedLength) {
    out.push(header);
    out.append(content);
    out.push(dataset.buffer.subarray(element.end - 8, element.end));
  } else {
    // SQ and UN headers end with a 4-byte length in both explicit and implicit VR.
    out.push(withLength(header, header.length - 4, content.length, dataset.encoding.littleEndian));
    out.append(content);
  }
  return out;
}

/**
 * Write the elements of `plans`, belonging to `dataset`: the parts to concatenate (slices
 * of the input for untouched elements, new buffers for the rest) and their total length.
 */
export function writeDataset(
  plans: readonly ElementPlan[],
  dataset: DicomDataset,
): { parts: Buffer[]; length: number } {
  return writeElements(plans, dataset);
}
