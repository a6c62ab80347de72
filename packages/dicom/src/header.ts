/**
 * A DICOM header: the file meta group and the data set up to (not including) the top-level
 * Pixel Data, with values by keyword or tag.
 */
import { type AttributeKey, DicomDataset, type DicomElement, resolveKey } from './dataset';
import { parseDicom, type ParsedDicom } from './reader';
import { tagGroup } from './tags';
import type { TransferSyntax } from './transfer-syntax';

/** The header of one DICOM file. Group 0002 keys read the file meta group, others the data set. */
export class DicomHeader {
  /** @param parsed the parsed file. */
  constructor(private readonly parsed: ParsedDicom) {}

  /** The file name, for messages. */
  get source(): string {
    return this.parsed.source;
  }

  /** The transfer syntax the data set is encoded in. */
  get transferSyntax(): TransferSyntax {
    return this.parsed.transferSyntax;
  }

  /** The file meta group (empty for files without one). */
  get meta(): DicomDataset {
    return this.parsed.meta;
  }

  /** The top-level data set. */
  get dataset(): DicomDataset {
    return this.parsed.dataset;
  }

  /**
   * The bytes of the header as parsed: the file up to its top-level Pixel Data (its data set
   * inflated, when deflated). Parsing costs memory in proportion to them (more per byte the
   * more items and elements they hold), whatever the size of the pixel data.
   */
  get byteLength(): number {
    const { dataset, buffer, datasetOffset } = this.parsed;
    if (dataset.buffer !== buffer) return datasetOffset + dataset.buffer.length;
    return dataset.elements[dataset.elements.length - 1]?.end ?? datasetOffset;
  }

  private datasetOf(key: AttributeKey): [DicomDataset, DicomElement | undefined] {
    const tag = resolveKey(key);
    const dataset = tagGroup(tag) === 0x0002 ? this.parsed.meta : this.parsed.dataset;
    return [dataset, dataset.get(tag)];
  }

  /** True when the attribute is present (possibly empty). */
  has(key: AttributeKey): boolean {
    return this.datasetOf(key)[1] !== undefined;
  }

  /** The top-level element of the attribute, or undefined. */
  element(key: AttributeKey): DicomElement | undefined {
    return this.datasetOf(key)[1];
  }

  /** The value as text (values joined with `\`), decoded per Specific Character Set; undefined when absent. */
  string(key: AttributeKey): string | undefined {
    const [dataset, element] = this.datasetOf(key);
    return element ? dataset.text(element) : undefined;
  }

  /** The values as texts; empty when absent or empty. */
  strings(key: AttributeKey): string[] {
    const [dataset, element] = this.datasetOf(key);
    return element ? dataset.texts(element) : [];
  }

  /** The first numeric value, or undefined when absent or not a number. */
  number(key: AttributeKey): number | undefined {
    const [dataset, element] = this.datasetOf(key);
    const value = element ? dataset.numbers(element)[0] : undefined;
    return value === undefined || Number.isNaN(value) ? undefined : value;
  }

  /** The items of a sequence attribute, as data sets (each with `string`, `number`, `items`). */
  items(key: AttributeKey): DicomDataset[] {
    const [dataset, element] = this.datasetOf(key);
    return element ? dataset.items(element) : [];
  }
}

/**
 * Parse the header of a DICOM file held in memory, stopping before the top-level Pixel
 * Data. Malformed input is a SomError InvalidArgument naming `source`.
 */
export function readDicomHeader(bytes: Buffer, source: string): DicomHeader {
  return new DicomHeader(parseDicom(bytes, source, { stopAtPixelData: true }));
}
