/**
 * The second line of defence: before a de-identified file leaves, its bytes (all but the
 * pixel data values) are searched for the input's identifying values that the recipe
 * removed or replaced: person names and their parts, IDs and accession numbers, addresses,
 * telephone numbers, institution and station names, AE titles, the original dates of
 * shifted or removed dates and the original UIDs of remapped or removed ones. Any hit
 * refuses the file. The search is built once per file (see multi-search.ts).
 *
 * What is searched, and what is not (to keep false alarms away from real files):
 * - text is matched byte for byte as stored in the input (and each person-name part in
 *   UTF-8 too), ASCII letters in either case, and only where it is not part of a longer
 *   word: the bytes around a hit are not letters, digits or underscores;
 * - a part of a person name (`Doe` of `Doe^John`) counts where it is part of a longer text
 *   (`seen by Doe`), not where it is a whole value of its own (a patient named `Head` and
 *   Body Part Examined `HEAD`): the whole name is searched as well;
 * - digits-only values (dates, UIDs, numeric IDs) only where they are not part of a longer
 *   number: the bytes around a hit are not digits or dots;
 * - values shorter than 4 bytes, and digits-only IDs shorter than 5 digits, are not
 *   searched (they occur by chance); a person name's parts are searched from 4 bytes on
 *   (the whole name from 4 bytes on as well);
 * - a date is not searched when it is also the shifted form of a date of the file (shifted
 *   dates legitimately land on other original dates), nor a date or UID that the output
 *   keeps as it is elsewhere (a recipe keeping some dates; class and coding scheme UIDs),
 *   nor a text the recipe itself writes (its literals and variables, such as a dummy value
 *   or an alias).
 */
import { DicomDataset, type DicomElement, effectiveVr } from '../dataset';
import { shiftValues } from '../dates';
import { lookupTag, tagOfKeyword } from '../dictionary';
import { DicomRefusal } from '../refusal';
import type { ParsedDicom } from '../reader';
import type { Recipe } from '../recipe/types';
import { formatTag, type Tag, Tags } from '../tags';
import { isStandardUid } from '../uids';
import type { ElementPlan, ItemPlan } from '../writer';
import { MIN_PATTERN_BYTES, MultiPatternSearch } from './multi-search';
import { PIXEL_DATA_TAGS } from './structure';

/** A file refused because its output would hold an identifying value of its input. */
export class PhiLeakError extends DicomRefusal {
  /**
   * @param source the file name.
   * @param attribute the input attribute whose value was found (a keyword or tag).
   * @param foundIn the output element holding it.
   * @param offset the byte offset of the hit in the output (of its inflated data set when deflated).
   */
  constructor(
    source: string,
    readonly attribute: string,
    readonly foundIn: Tag | undefined,
    readonly offset: number,
  ) {
    const where =
      foundIn === undefined ? 'in the file meta group' : `in ${DicomDataset.describe(foundIn)}`;
    super(
      'would-leak',
      `${source}: would leak ${attribute}: found ${where} of the output at byte ${offset}`,
    );
  }
}

/** Attributes whose whole values identify (besides every PN, DA, DT and UI value). */
const IDENTIFYING_KEYWORDS = [
  'PatientID',
  'OtherPatientIDs',
  'IssuerOfPatientID',
  'AccessionNumber',
  'StudyID',
  'AdmissionID',
  'RequestedProcedureID',
  'ScheduledProcedureStepID',
  'PerformedProcedureStepID',
  'PlacerOrderNumberImagingServiceRequest',
  'FillerOrderNumberImagingServiceRequest',
  'MedicalRecordLocator',
  'PatientAddress',
  'PatientTelephoneNumbers',
  'InstitutionName',
  'InstitutionAddress',
  'InstitutionalDepartmentName',
  'StationName',
  'DeviceSerialNumber',
  'MilitaryRank',
  'BranchOfService',
  'RegionOfResidence',
  'CountryOfResidence',
  'SourceApplicationEntityTitle',
  'SendingApplicationEntityTitle',
  'ReceivingApplicationEntityTitle',
];

let identifyingTags: ReadonlySet<Tag> | undefined;

function isIdentifying(tag: Tag): boolean {
  identifyingTags ??= new Set(
    IDENTIFYING_KEYWORDS.map((k) => tagOfKeyword(k)).filter((t): t is Tag => t !== undefined),
  );
  return identifyingTags.has(tag);
}

/** Meta group elements that the output keeps or that are not about the patient. */
const META_KEPT = new Set<Tag>([
  Tags.FileMetaInformationGroupLength,
  Tags.FileMetaInformationVersion,
  Tags.MediaStorageSOPClassUID,
  Tags.TransferSyntaxUID,
  Tags.ImplementationClassUID,
  Tags.ImplementationVersionName,
]);

/** The kind of a pattern, for the bytes a hit may not touch. */
type Kind = 'text' | 'number';

interface Pattern {
  /** The bytes of a text pattern (empty for a digits-only one). */
  readonly bytes: Uint8Array;
  /** The pattern as text (Latin-1 of its bytes). */
  readonly text: string;
  readonly kind: Kind;
  /** A part of a person name: a whole value that is just this part is not a hit. */
  readonly part: boolean;
  /** The input attribute it comes from, for the message. */
  readonly attribute: string;
}

/** What {@link identifyingValues} needs besides the input and its plan. */
export interface LeakScanOptions {
  /** The days dates were shifted by, when they were. */
  readonly jitter: number | undefined;
  /** The recipe (its literal values are not identifying). */
  readonly recipe: Recipe;
  /** The values of the variables (aliases): the recipe's own output, not identifying. */
  readonly variables: Readonly<Record<string, string | number>>;
}

/**
 * The identifying values of `parsed` (its meta group, and every element the plan does not
 * keep as it is) as a search, built once.
 */
export function identifyingValues(
  parsed: ParsedDicom,
  plans: readonly ElementPlan[],
  options: LeakScanOptions,
): IdentifyingValues {
  return new Collector(options).collect(parsed, plans);
}

/** The identifying values of one input, ready to search its output with. */
export class IdentifyingValues {
  /** The text patterns. */
  private readonly texts: readonly Pattern[];
  private readonly search: MultiPatternSearch;
  /**
   * The digits-only patterns (dates, UIDs, numeric IDs) by their text: a hit may not touch
   * digits or dots, so it is a whole run of digits and dots of the output, looked up here
   * (UIDs share long prefixes, which no prefix-indexed search handles well).
   */
  private readonly numbers = new Map<string, Pattern>();
  /** 1 at the lengths of the digits-only patterns: a run of another length is not looked up. */
  private readonly numberLengths = new Uint8Array(MAX_NUMBER_LENGTH + 1);

  constructor(private readonly patterns: readonly Pattern[]) {
    this.texts = patterns.filter((p) => p.kind === 'text');
    this.search = new MultiPatternSearch(this.texts.map((p) => p.bytes));
    for (const p of patterns) {
      if (p.kind !== 'number') continue;
      this.numbers.set(p.text, p);
      this.numberLengths[Math.min(p.text.length, MAX_NUMBER_LENGTH)] = 1;
    }
  }

  /** The number of patterns (for tests and figures). */
  get size(): number {
    return this.patterns.length;
  }

  /**
   * Search `output` (the de-identified file as read back), all but its pixel data values.
   * Throws a {@link PhiLeakError} for the first hit.
   */
  scan(output: ParsedDicom): void {
    if (this.patterns.length === 0) return;
    const { buffer, datasetOffset, dataset, source } = output;
    const hit = this.first(buffer, 0, datasetOffset);
    if (hit) throw new PhiLeakError(source, hit.attribute, undefined, hit.offset);
    let from = dataset.buffer === buffer ? datasetOffset : 0;
    for (const [start, end] of pixelValues(dataset)) {
      this.throwIfFound(output, from, start);
      from = end;
    }
    this.throwIfFound(output, from, dataset.buffer.length);
  }

  private throwIfFound(output: ParsedDicom, from: number, to: number): void {
    const { dataset } = output;
    const hit = this.first(dataset.buffer, from, to, (pattern, start) => {
      const found = elementAt(dataset, start);
      return !found || !isWholeValue(found.dataset, found.element, pattern.bytes);
    });
    if (!hit) return;
    const element = elementAt(dataset, hit.offset)?.element;
    throw new PhiLeakError(output.source, hit.attribute, element?.tag, hit.offset);
  }

  /** The first hit in `bytes[from, to)`; `counts` decides for parts of names. */
  private first(
    bytes: Buffer,
    from: number,
    to: number,
    counts: (pattern: Pattern, start: number) => boolean = () => true,
  ): { attribute: string; offset: number } | undefined {
    let hit: { attribute: string; offset: number } | undefined = this.firstNumber(bytes, from, to);
    this.search.search(bytes, from, hit ? hit.offset : to, (index, start) => {
      const pattern = this.texts[index];
      if (!pattern) return false;
      const end = start + pattern.bytes.length;
      if (touches(bytes[start - 1], pattern.kind) || touches(bytes[end], pattern.kind))
        return false;
      if (pattern.part && !counts(pattern, start)) return false;
      hit = { attribute: pattern.attribute, offset: start };
      return true;
    });
    return hit;
  }

  /** The first run of digits and dots in `bytes[from, to)` that is a digits-only pattern. */
  private firstNumber(
    bytes: Buffer,
    from: number,
    to: number,
  ): { attribute: string; offset: number } | undefined {
    if (this.numbers.size === 0) return undefined;
    const lengths = this.numberLengths;
    let start = -1;
    for (let i = from; i <= to; i++) {
      const b = i < to ? (bytes[i] ?? 0) : 0;
      const numeric = (b >= 0x30 && b <= 0x39) || b === 0x2e;
      if (numeric) {
        if (start < 0) start = i;
        continue;
      }
      if (start < 0) continue;
      const length = i - start;
      // A run at the edge of the range may go on outside it: it is not whole there.
      const whole = !touches(bytes[start - 1], 'number') && !touches(bytes[i], 'number');
      if (whole && lengths[Math.min(length, MAX_NUMBER_LENGTH)] === 1) {
        const pattern = this.numbers.get(bytes.toString('latin1', start, i));
        if (pattern) return { attribute: pattern.attribute, offset: start };
      }
      start = -1;
    }
    return undefined;
  }
}

/** Digits-only patterns of this length and longer share one flag of their lengths. */
const MAX_NUMBER_LENGTH = 128;

/** True when `byte`, next to a hit, makes it part of a longer word or number. */
function touches(byte: number | undefined, kind: Kind): boolean {
  if (byte === undefined) return false;
  const digit = byte >= 0x30 && byte <= 0x39;
  if (kind === 'number') return digit || byte === 0x2e;
  const letter = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
  return digit || letter || byte === 0x5f;
}

/** The value ranges of the pixel data elements at the top level and in icon images, in order. */
function pixelValues(dataset: DicomDataset): [number, number][] {
  const out: [number, number][] = [];
  const visit = (ds: DicomDataset): void => {
    for (const e of ds.elements) {
      if (PIXEL_DATA_TAGS.has(e.tag)) out.push([e.valueOffset, e.valueOffset + e.length]);
      for (const item of e.items ?? []) visit(item.dataset);
    }
  };
  visit(dataset);
  return out.sort((a, b) => a[0] - b[0]);
}

/** The innermost element of `dataset` holding the byte at `offset`, with its data set. */
function elementAt(
  dataset: DicomDataset,
  offset: number,
): { element: DicomElement; dataset: DicomDataset } | undefined {
  const { elements } = dataset;
  // Elements are in file order: the last one starting at or before `offset`.
  let low = 0;
  let high = elements.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if ((elements[mid]?.offset ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  const element = elements[low];
  if (!element || offset < element.offset || offset >= element.end) return undefined;
  for (const item of element.items ?? []) {
    if (offset < item.offset || offset >= item.end) continue;
    return elementAt(item.dataset, offset) ?? { element, dataset };
  }
  return { element, dataset };
}

/** True when `pattern` is one whole value (of the values split at `\`) of `element`. */
function isWholeValue(dataset: DicomDataset, element: DicomElement, pattern: Uint8Array): boolean {
  const wanted = Buffer.from(pattern.buffer, pattern.byteOffset, pattern.length)
    .toString('latin1')
    .toLowerCase();
  const value = trimBytes(dataset.valueBytes(element)).toString('latin1').toLowerCase();
  return value.split('\\').some((v) => v.trim() === wanted);
}

const MIN_TEXT_BYTES = MIN_PATTERN_BYTES;
const MIN_ID_DIGITS = 5;

/** Gathers the patterns of one input. */
class Collector {
  private readonly patterns: Pattern[] = [];
  private readonly seen = new Set<string>();
  private readonly dates = new Map<string, string>();
  private readonly uids = new Map<string, string>();
  /** Dates and UIDs the output keeps as they are. */
  private readonly keptValues = new Set<string>();
  /** The variables' values (lower case): the recipe's own output. */
  private readonly notIdentifying = new Set<string>();
  /** The recipe's literal texts (lower case). */
  private readonly literals: ReadonlySet<string>;

  constructor(private readonly options: LeakScanOptions) {
    this.literals = literalsOf(options.recipe);
    for (const value of Object.values(options.variables))
      this.notIdentifying.add(String(value).toLowerCase());
  }

  collect(parsed: ParsedDicom, plans: readonly ElementPlan[]): IdentifyingValues {
    for (const element of parsed.meta.elements) {
      if (!META_KEPT.has(element.tag)) this.removed(element, parsed.meta);
    }
    this.visit(parsed.dataset, plans);
    this.datePatterns();
    for (const [uid, attribute] of this.uids) {
      if (!this.keptValues.has(uid)) this.add(uid, 'number', attribute);
    }
    return new IdentifyingValues(this.patterns);
  }

  /** Elements of `dataset` against the plans of what is written of it. */
  private visit(dataset: DicomDataset, plans: readonly ElementPlan[]): void {
    const kept = new Set<DicomElement>();
    const changed = new Map<DicomElement, readonly ItemPlan[]>();
    for (const plan of plans) {
      if (plan.op === 'copy') kept.add(plan.element);
      else if (plan.op === 'sequence') changed.set(plan.element, plan.items);
    }
    for (const element of dataset.elements) {
      if (kept.has(element)) {
        this.kept(element, dataset);
        continue;
      }
      const items = changed.get(element);
      if (items) {
        for (const { item, elements } of items) this.visit(item.dataset, elements);
      } else {
        this.removed(element, dataset);
      }
    }
  }

  /** An element written as it is: its dates and UIDs are the output's (never searched for). */
  private kept(element: DicomElement, dataset: DicomDataset): void {
    if (element.items) {
      for (const item of element.items)
        for (const e of item.dataset.elements) this.kept(e, item.dataset);
      return;
    }
    const vr = effectiveVr(element);
    if (vr === 'UI' || vr === 'DA' || vr === 'DT') {
      for (const value of asciiValues(dataset, element))
        this.keptValues.add(vr === 'UI' ? value : value.slice(0, 8));
    }
  }

  /** An element removed or replaced (and everything in it). */
  private removed(element: DicomElement, dataset: DicomDataset): void {
    if (element.items) {
      for (const item of element.items)
        for (const e of item.dataset.elements) this.removed(e, item.dataset);
      return;
    }
    if (PIXEL_DATA_TAGS.has(element.tag) || element.encapsulated) return;
    const vr = effectiveVr(element);
    const identifying = isIdentifying(element.tag);
    if (vr !== 'PN' && vr !== 'DA' && vr !== 'DT' && vr !== 'UI' && !identifying) return;
    const attribute = lookupTag(element.tag)?.keyword ?? formatTag(element.tag);
    if (vr === 'PN') this.name(element, dataset, attribute);
    else if (vr === 'DA' || vr === 'DT') {
      for (const value of asciiValues(dataset, element))
        this.dates.set(value.slice(0, 8), attribute);
    } else if (vr === 'UI') {
      for (const uid of asciiValues(dataset, element))
        if (!isStandardUid(uid)) this.uids.set(uid, attribute);
    } else {
      for (const value of dataset.texts(element)) this.text(value, attribute, dataset, element);
    }
  }

  /** A person name: as stored, and each part of each component group. */
  private name(element: DicomElement, dataset: DicomDataset, attribute: string): void {
    this.add(trimBytes(dataset.valueBytes(element)), 'text', attribute);
    for (const part of dataset.text(element).split(/[\^=\\]+/)) {
      const value = part.trim();
      // An ASCII part has the same bytes in UTF-8 and in every character set.
      if (isAscii(value)) {
        this.add(value, 'text', attribute, true);
        continue;
      }
      this.add(Buffer.from(value, 'utf8'), 'text', attribute, true);
      const encoded = dataset.characterSet.encode(value);
      if (encoded) this.add(encoded, 'text', attribute, true);
    }
  }

  /** A whole identifying value: as decoded (its stored bytes when the text is ASCII). */
  private text(
    value: string,
    attribute: string,
    dataset: DicomDataset,
    element: DicomElement,
  ): void {
    const digits = /^[0-9]+$/.test(value);
    if (digits && value.length < MIN_ID_DIGITS) return;
    if (/^[\x20-\x7e]*$/.test(value)) {
      // Its bytes are its characters (built by add when the value is new).
      this.add(value, digits ? 'number' : 'text', attribute);
    } else {
      this.add(Buffer.from(value, 'utf8'), 'text', attribute);
      this.add(
        dataset.characterSet.encode(value) ?? trimBytes(dataset.valueBytes(element)),
        'text',
        attribute,
      );
    }
  }

  /** Original dates, but those that are also a shifted date of this file. */
  private datePatterns(): void {
    const { jitter } = this.options;
    const shifted = new Set<string>();
    if (jitter !== undefined) {
      for (const date of this.dates.keys()) {
        const moved = shiftValues(date, 'DA', jitter);
        if (moved) shifted.add(moved);
      }
    }
    for (const [date, attribute] of this.dates) {
      if (/^\d{8}$/.test(date) && !shifted.has(date) && !this.keptValues.has(date))
        this.add(date, 'number', attribute);
    }
  }

  private add(value: string | Uint8Array, kind: Kind, attribute: string, part = false): void {
    if (value.length < MIN_TEXT_BYTES) return;
    // Digits-only patterns are kept as text (they are looked up as text), others as bytes.
    const text =
      typeof value === 'string'
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1');
    const key = kind === 'number' ? text : text.toLowerCase();
    if (this.notIdentifying.has(key) || this.literals.has(key) || this.seen.has(key)) return;
    this.seen.add(key);
    const bytes =
      kind === 'number' ? EMPTY : typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    this.patterns.push({ bytes, text, kind, attribute, part });
  }
}

const literalsByRecipe = new WeakMap<Recipe, ReadonlySet<string>>();

/** The literal texts a recipe writes (lower case), gathered once per recipe. */
function literalsOf(recipe: Recipe): ReadonlySet<string> {
  let literals = literalsByRecipe.get(recipe);
  if (!literals) {
    const texts = new Set<string>();
    for (const layer of recipe.layers) {
      for (const { value } of layer.rules) {
        if (value?.kind === 'literal') texts.add(value.text.toLowerCase());
        if (value?.kind === 'items')
          for (const item of value.items)
            for (const text of Object.values(item)) texts.add(text.toLowerCase());
      }
    }
    literals = texts;
    literalsByRecipe.set(recipe, literals);
  }
  return literals;
}

/** The values of an element of a default-repertoire VR (UI, DA, DT), trimmed. */
function asciiValues(dataset: DicomDataset, element: DicomElement): string[] {
  const { buffer } = dataset;
  const end = element.valueOffset + element.length;
  const out: string[] = [];
  let start = element.valueOffset;
  for (let i = start; i <= end; i++) {
    if (i < end && buffer[i] !== 0x5c) continue;
    // Trim spaces and NULs at both ends of the value between start and i.
    let a = start;
    let b = i;
    while (a < b && (buffer[a] === 0x20 || buffer[a] === 0x00)) a++;
    while (b > a && (buffer[b - 1] === 0x20 || buffer[b - 1] === 0x00)) b--;
    if (b > a) out.push(buffer.toString('latin1', a, b));
    start = i + 1;
  }
  return out;
}

const EMPTY = new Uint8Array(0);

/** True when every character of `text` is ASCII (its bytes are the same in every character set). */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** `bytes` without the NULs and spaces that pad its end. */
function trimBytes(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--;
  return bytes.subarray(0, end);
}
