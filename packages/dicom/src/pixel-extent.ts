/**
 * Finding where the top-level Pixel Data of a file ends without reading its value: its
 * element header is read, and for encapsulated pixel data the header of each fragment item
 * up to the sequence delimiter. A file too large to hold in memory can then be
 * de-identified from its header and whatever follows the pixel data, with a small stand-in
 * for the pixel data element, while the pixel data itself is copied byte for byte.
 */
import { DicomRefusal } from './refusal';
import { MAX_STRUCTURES } from './reader';
import { Tags, formatTag } from './tags';
import type { Encoding } from './transfer-syntax';
import { hasLongLength, knownVr } from './vr';

/** Reads `length` bytes of the file from `position` (fewer only at its end). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/** Where the top-level Pixel Data element of a file lies. */
export interface PixelDataExtent {
  /** The offset of the element in the file. */
  readonly offset: number;
  /** The offset just past it (past the sequence delimiter of encapsulated pixel data). */
  readonly end: number;
  /** True for encapsulated (fragmented) pixel data. */
  readonly encapsulated: boolean;
  /**
   * The element with an empty value (no fragments when encapsulated): parsed in the place of
   * the real element, it gives the same header and the same elements after it.
   */
  readonly standIn: Buffer;
}

/** A defined length that is none: the value runs to its delimiter. */
const UNDEFINED_LENGTH = 0xffffffff;

/** Bytes read at once while walking fragment headers. */
const WINDOW_BYTES = 64 * 1024;

/** The refusal of a file whose pixel data is not well formed. */
function malformed(source: string, offset: number, what: string): DicomRefusal {
  return new DicomRefusal('malformed', `${source}: ${what} (at byte ${offset})`);
}

/** Reads of small pieces served from one window of the file. */
class WindowedReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(private readonly readAt: ReadAt) {}

  /** `length` bytes from `position`, or fewer at the end of the file. */
  async read(position: number, length: number): Promise<Buffer> {
    const inWindow = position - this.windowStart;
    if (inWindow < 0 || inWindow + length > this.window.length) {
      this.window = await this.readAt(position, Math.max(length, WINDOW_BYTES));
      this.windowStart = position;
    }
    const at = position - this.windowStart;
    return this.window.subarray(at, at + length);
  }
}

/**
 * The extent of the top-level Pixel Data element that starts at `offset` of a file of
 * `size` bytes whose data set is encoded with `encoding`.
 * @throws DicomRefusal (malformed) naming `source` and the offset when the element or one
 *   of its fragments reaches past the end of the file, or a fragment is not an item;
 *   (over-limits) past `MAX_STRUCTURES` fragments.
 */
export async function locatePixelData(
  readAt: ReadAt,
  offset: number,
  size: number,
  encoding: Encoding,
  source: string,
): Promise<PixelDataExtent> {
  const reader = new WindowedReader(readAt);
  const le = encoding.littleEndian;
  const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const tagAt = (b: Buffer, at: number): number => ((u16(b, at) << 16) | u16(b, at + 2)) >>> 0;
  const headerLength = encoding.explicitVr ? 12 : 8;
  const header = await reader.read(offset, headerLength);
  if (header.length < headerLength)
    throw malformed(source, offset, 'truncated Pixel Data element header');
  if (tagAt(header, 0) !== Tags.PixelData)
    throw malformed(source, offset, `expected Pixel Data, found ${formatTag(tagAt(header, 0))}`);
  if (encoding.explicitVr) {
    const vr = knownVr(header[4] as number, header[5] as number);
    if (vr === undefined || !hasLongLength(vr))
      throw malformed(source, offset, 'Pixel Data with a VR other than OB, OW or UN');
  }
  const length = u32(header, headerLength - 4);
  const standInHeader = Buffer.from(header);
  if (length !== UNDEFINED_LENGTH) {
    const end = offset + headerLength + length;
    if (end > size)
      throw malformed(
        source,
        offset,
        `truncated: its Pixel Data declares ${length} bytes, the file ends ${size - offset - headerLength} bytes into them`,
      );
    if (le) standInHeader.writeUInt32LE(0, headerLength - 4);
    else standInHeader.writeUInt32BE(0, headerLength - 4);
    return { offset, end, encapsulated: false, standIn: standInHeader };
  }
  // Encapsulated: fragment items of defined lengths up to the sequence delimitation item.
  let pos = offset + headerLength;
  for (let fragments = 0; ; fragments++) {
    if (fragments > MAX_STRUCTURES)
      throw new DicomRefusal(
        'over-limits',
        `${source}: more than ${MAX_STRUCTURES} pixel data fragments in one file`,
      );
    const item = await reader.read(pos, 8);
    if (item.length < 8)
      throw malformed(
        source,
        pos,
        'encapsulated pixel data without its sequence delimitation item (truncated)',
      );
    const tag = tagAt(item, 0);
    if (tag === Tags.SequenceDelimitationItem) {
      const standIn = Buffer.concat([standInHeader, item]);
      return { offset, end: pos + 8, encapsulated: true, standIn };
    }
    if (tag !== Tags.Item)
      throw malformed(source, pos, `expected a pixel data fragment, found ${formatTag(tag)}`);
    const fragment = u32(item, 4);
    if (fragment === UNDEFINED_LENGTH || pos + 8 + fragment > size)
      throw malformed(
        source,
        pos,
        `pixel data fragment of ${fragment} bytes past the end of the file`,
      );
    pos += 8 + fragment;
  }
}
