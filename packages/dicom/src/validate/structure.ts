/**
 * Validation of what a de-identified file is about to hold, kept elements as much as
 * changed ones: every data set's tags strictly ascending, explicit VRs those of the
 * dictionary, every value valid for its VR, delimiters of zero length, one pixel data
 * element (at the top level, or one per kept icon image), pixel data encoded as the
 * transfer syntax says. A corrupt length or tag in the input shows up here as a kept value
 * that is not what its VR allows, and the file is refused before anything is written.
 */
import { DicomDataset, type DicomElement, effectiveVr } from '../dataset';
import { lookupTag } from '../dictionary';
import { DicomRefusal } from '../refusal';
import type { ParsedDicom } from '../reader';
import { isGroupLengthTag, isPrivateCreatorTag, isPrivateTag, type Tag, Tags } from '../tags';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../transfer-syntax';
import type { ElementPlan } from '../writer';
import { valueProblem } from './values';

/** The pixel data elements: Pixel Data, Float Pixel Data, Double Float Pixel Data. */
export const PIXEL_DATA_TAGS: ReadonlySet<Tag> = new Set([Tags.PixelData, 0x7fe00008, 0x7fe00009]);

/** Icon Image Sequence (0088,0200): its items are the only place a kept pixel data may nest. */
const ICON_IMAGE_SEQUENCE = 0x00880200;

/** Transfer syntaxes whose pixel data is native (not encapsulated). */
const NATIVE_SYNTAXES = new Set([
  IMPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
]);

/** The attributes that make a data set an image: with them and no pixel data, it was cut. */
const IMAGE_PIXEL_TAGS: readonly Tag[] = [0x00280004, 0x00280010, 0x00280011, 0x00280100];

/** A file refused because of one element: which, where, and why (never its value). */
export class DicomValidationError extends DicomRefusal {
  /**
   * @param source the file name.
   * @param tag the element's tag.
   * @param offset its byte offset in the input (undefined for a new value).
   * @param reason what is wrong with it, in words.
   * @param where what the offset counts in, when not the file (` of the inflated data set`).
   */
  constructor(
    source: string,
    readonly tag: Tag,
    readonly offset: number | undefined,
    readonly reason: string,
    where = '',
  ) {
    const at = offset === undefined ? ' (a new value)' : ` at byte ${offset}${where}`;
    super('invalid-element', `${source}: ${DicomDataset.describe(tag)}${at}: ${reason}`);
  }
}

function planTag(plan: ElementPlan): Tag {
  return plan.op === 'copy' || plan.op === 'sequence' ? plan.element.tag : plan.tag;
}

/**
 * Check everything `plans` (the top-level write plan of `parsed`) would write. Throws a
 * {@link DicomValidationError} for the first element that is not valid.
 */
export function validatePlan(plans: readonly ElementPlan[], parsed: ParsedDicom): void {
  new Validator(parsed).run(plans);
}

class Validator {
  private readonly where: string;

  constructor(private readonly parsed: ParsedDicom) {
    this.where = parsed.transferSyntax.deflated ? ' of the inflated data set' : '';
  }

  run(plans: readonly ElementPlan[]): void {
    this.list(plans, this.parsed.dataset, undefined);
    const pixels = plans.find((p) => PIXEL_DATA_TAGS.has(planTag(p)));
    if (!pixels) this.notCut();
    else if (pixels.op === 'copy')
      this.pixelEncoding(
        pixels.element.tag,
        pixels.element.offset,
        pixels.element.encapsulated === true,
      );
    else this.pixelEncoding(planTag(pixels), undefined, pixels.op === 'encoded');
  }

  private fail(tag: Tag, offset: number | undefined, reason: string): never {
    throw new DicomValidationError(this.parsed.source, tag, offset, reason, this.where);
  }

  /** One data set's plans: ascending tags, at most one pixel data element, each element valid. */
  private list(
    plans: readonly ElementPlan[],
    dataset: DicomDataset,
    parent: Tag | undefined,
  ): void {
    let previous = -1;
    let pixels = 0;
    for (const plan of plans) {
      const tag = planTag(plan);
      const offset = plan.op === 'copy' || plan.op === 'sequence' ? plan.element.offset : undefined;
      this.order(tag, previous, offset);
      previous = tag;
      if (PIXEL_DATA_TAGS.has(tag)) this.pixelPlace(tag, offset, parent, ++pixels);
      switch (plan.op) {
        case 'copy':
          this.element(plan.element, dataset);
          break;
        case 'value': {
          // A value the recipe wrote: what it holds is the recipe's (deid's recipes write
          // `Yes` into a CS); its characters and size are still checked.
          // Its VR is the input element's: a corrupt one is refused as for a kept element.
          if (dataset.encoding.explicitVr) this.vr(tag, plan.vr, undefined);
          const problem = valueProblem(plan.vr, plan.value, dataset.characterSet, false);
          if (problem) this.fail(tag, undefined, problem);
          break;
        }
        case 'encoded':
          // Pixel data the pixel step cleaned (encoded by this package, never copied).
          if (!PIXEL_DATA_TAGS.has(tag))
            this.fail(tag, undefined, 'an encoded value that is not pixel data');
          break;
        case 'sequence':
          this.header(plan.element, dataset);
          for (const { item, elements } of plan.items) {
            this.itemDelimiter(plan.element, item, dataset);
            this.list(elements, item.dataset, tag);
          }
          break;
        case 'new-sequence':
          for (const elements of plan.items) this.list(elements, dataset, tag);
          break;
      }
    }
  }

  /** A data set kept as it is, at any depth. */
  private dataset(dataset: DicomDataset, parent: Tag): void {
    let previous = -1;
    let pixels = 0;
    for (const element of dataset.elements) {
      this.order(element.tag, previous, element.offset);
      previous = element.tag;
      if (PIXEL_DATA_TAGS.has(element.tag))
        this.pixelPlace(element.tag, element.offset, parent, ++pixels);
      this.element(element, dataset);
    }
  }

  private order(tag: Tag, previous: number, offset: number | undefined): void {
    if (tag === previous) this.fail(tag, offset, 'the same tag as the element before it');
    if (tag < previous) this.fail(tag, offset, 'out of order (tags must ascend)');
  }

  private pixelPlace(
    tag: Tag,
    offset: number | undefined,
    parent: Tag | undefined,
    n: number,
  ): void {
    if (parent !== undefined && parent !== ICON_IMAGE_SEQUENCE) {
      this.fail(tag, offset, `pixel data inside an item of ${DicomDataset.describe(parent)}`);
    }
    if (n > 1) this.fail(tag, offset, 'a second pixel data element in one data set');
  }

  /** A kept element: its header, its value, and whatever it holds. */
  private element(element: DicomElement, dataset: DicomDataset): void {
    this.header(element, dataset);
    if (element.items) {
      for (const item of element.items) {
        this.itemDelimiter(element, item, dataset);
        this.dataset(item.dataset, element.tag);
      }
    } else if (element.length > 0 && lookupTag(element.tag)?.vr === 'SQ') {
      // Sent as UN, its value did not read as items: kept as bytes, what it holds (UIDs,
      // names) would be copied unseen by the profile and by the search of the output.
      this.fail(
        element.tag,
        element.offset,
        'a sequence whose items cannot be read (its value would be kept as unread bytes)',
      );
    } else if (!element.encapsulated) {
      const problem = valueProblem(
        effectiveVr(element),
        dataset.valueBytes(element),
        dataset.characterSet,
      );
      if (problem) this.fail(element.tag, element.offset, problem);
    }
  }

  /** The VR written for a standard attribute, and the length of a closing delimiter. */
  private header(element: DicomElement, dataset: DicomDataset): void {
    const { tag, vr } = element;
    if (dataset.encoding.explicitVr) this.vr(tag, vr, element.offset);
    if (element.undefinedLength) {
      const le = vr === 'UN' || dataset.encoding.littleEndian;
      if (this.u32(dataset.buffer, element.end - 4, le) !== 0)
        this.fail(tag, element.offset, 'a sequence delimitation item with a non-zero length');
    }
  }

  /** An explicit VR: the dictionary's for a standard attribute (or UN). */
  private vr(tag: Tag, vr: string, offset: number | undefined): void {
    if (vr === 'UN') return;
    const allowed = allowedVrs(tag);
    if (allowed && !allowed.includes(vr))
      this.fail(tag, offset, `VR ${vr} where the dictionary has ${allowed.join(' or ')}`);
  }

  private itemDelimiter(
    element: DicomElement,
    item: { readonly end: number; readonly undefinedLength: boolean; readonly offset: number },
    dataset: DicomDataset,
  ): void {
    if (!item.undefinedLength) return;
    const le = element.vr === 'UN' || dataset.encoding.littleEndian;
    if (this.u32(dataset.buffer, item.end - 4, le) !== 0)
      this.fail(element.tag, item.offset, 'an item delimitation item with a non-zero length');
  }

  private u32(buffer: Buffer, at: number, le: boolean): number {
    return le ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at);
  }

  /** The top-level pixel data is encapsulated exactly when the transfer syntax says so. */
  private pixelEncoding(tag: Tag, offset: number | undefined, encapsulated: boolean): void {
    const { uid } = this.parsed.transferSyntax;
    const native = NATIVE_SYNTAXES.has(uid);
    if (encapsulated && native) {
      this.fail(tag, offset, 'encapsulated pixel data in a native transfer syntax');
    }
    if (!encapsulated && !native) {
      this.fail(
        tag,
        offset,
        uid.startsWith('1.2.840.10008.1.2.')
          ? 'native pixel data where the transfer syntax declares encapsulated (compressed) pixel data'
          : 'a transfer syntax that is not the standard’s: how the pixel data is encoded is unknown',
      );
    }
  }

  /** An image (Rows, Columns, ...) without pixel data: the file was cut before it. */
  private notCut(): void {
    const { dataset } = this.parsed;
    if (IMAGE_PIXEL_TAGS.every((t) => dataset.get(t) !== undefined)) {
      const last = dataset.elements[dataset.elements.length - 1];
      this.fail(
        Tags.PixelData,
        last?.end,
        'missing: the data set describes an image (Rows, Columns, Bits Allocated, Photometric ' +
          'Interpretation) but ends before its pixel data',
      );
    }
  }
}

/** The VRs an explicit VR element of `tag` may have besides UN; undefined for any VR. */
function allowedVrs(tag: Tag): readonly string[] | undefined {
  if (isGroupLengthTag(tag)) return ['UL'];
  if (isPrivateCreatorTag(tag)) return ['LO'];
  if (isPrivateTag(tag)) return undefined;
  return lookupTag(tag)?.vrs;
}
