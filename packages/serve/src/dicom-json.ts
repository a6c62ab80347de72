/**
 * The DICOM JSON Model (PS3.18 Annex F) of a parsed data set: each attribute keyed by its
 * tag as eight upper-case hex digits, holding its `vr` and its `Value` (strings, numbers,
 * person names as `{Alphabetic, Ideographic, Phonetic}`, sequence items as nested objects),
 * `InlineBinary` (base64) for small binary values, or `BulkDataURI` for large ones.
 */
import { lookupTag, type DicomDataset, type DicomElement } from '@som/dicom';

/** One attribute in the DICOM JSON Model. */
export interface JsonAttribute {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** A data set in the DICOM JSON Model. */
export type DicomJson = Record<string, JsonAttribute>;

/** Binary values up to this size are inlined (base64); larger ones are bulk data. */
export const INLINE_BINARY_MAX = 1024;

/** The Pixel Data tag. */
export const PIXEL_DATA = 0x7fe00010;

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBER_VRS = new Set(['FL', 'FD', 'SL', 'SS', 'UL', 'US', 'SV', 'UV']);
const SINGLE_TEXT_VRS = new Set(['LT', 'ST', 'UT', 'UR']);

/** The tag as the DICOM JSON Model keys it: `00100020`. */
export function tagKey(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

function personName(text: string): Record<string, string> {
  const [alphabetic = '', ideographic, phonetic] = text.split('=');
  return {
    ...(alphabetic !== '' ? { Alphabetic: alphabetic } : {}),
    ...(ideographic ? { Ideographic: ideographic } : {}),
    ...(phonetic ? { Phonetic: phonetic } : {}),
  };
}

/** A DS or IS value: a number when it is one, else the text as written (never dropped). */
function decimal(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/**
 * The VR of an element: as read, except that an implicit VR data set gives attributes the
 * dictionary allows as `US or SS` the first; Pixel Representation 1 (signed) makes them SS.
 */
function resolvedVr(dataset: DicomDataset, element: DicomElement): string {
  if (dataset.encoding.explicitVr || element.vr !== 'US' || !lookupTag(element.tag)?.ambiguousVr)
    return element.vr;
  let scope: DicomDataset | undefined = dataset;
  while (scope !== undefined && scope.number(0x00280103) === undefined) scope = scope.parent;
  return scope?.number(0x00280103) === 1 ? 'SS' : 'US';
}

/**
 * The value of one element. `bulkUri` names where a large binary value can be read (its
 * tag path from the top); without it, large binary values are left out (vr only).
 */
function attribute(
  dataset: DicomDataset,
  element: DicomElement,
  bulkUri: ((tag: number) => string) | undefined,
  depth: number,
): JsonAttribute {
  const vr = resolvedVr(dataset, element);
  if (vr === 'SQ' || element.items !== undefined) {
    const items = dataset.items(element).map((item) => toDicomJson(item, undefined, depth + 1));
    return items.length > 0 ? { vr: 'SQ', Value: items } : { vr: 'SQ' };
  }
  if (BINARY_VRS.has(vr) || element.encapsulated) {
    if (element.length === 0) return { vr };
    if (element.length <= INLINE_BINARY_MAX && !element.encapsulated)
      return { vr, InlineBinary: dataset.valueBytes(element).toString('base64') };
    return bulkUri && depth === 0 ? { vr, BulkDataURI: bulkUri(element.tag) } : { vr };
  }
  if (vr === 'AT') {
    const values = dataset.numbers(element).map(tagKey);
    return values.length > 0 ? { vr, Value: values } : { vr };
  }
  if (NUMBER_VRS.has(vr)) {
    const values = dataset.numbers(element, vr);
    return values.length > 0 ? { vr, Value: values } : { vr };
  }
  const texts = SINGLE_TEXT_VRS.has(vr)
    ? [dataset.text(element)].filter((t) => t !== '')
    : dataset.texts(element);
  if (texts.length === 0) return { vr };
  if (vr === 'PN') return { vr, Value: texts.map(personName) };
  if (vr === 'DS' || vr === 'IS') return { vr, Value: texts.map(decimal) };
  return { vr, Value: texts.map((t) => (t === '' ? null : t)) };
}

/**
 * The DICOM JSON of `dataset` (group 0002, the file meta group, is not part of a data set).
 * `bulkUri`, when given, names the address of a top-level binary value too large to inline.
 */
export function toDicomJson(
  dataset: DicomDataset,
  bulkUri?: (tag: number) => string,
  depth = 0,
): DicomJson {
  const out: DicomJson = {};
  for (const element of dataset.elements) {
    if (element.tag >>> 16 === 0x0002) continue;
    out[tagKey(element.tag)] = attribute(dataset, element, bulkUri, depth);
  }
  return out;
}
