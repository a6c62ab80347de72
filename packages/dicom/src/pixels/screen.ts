/**
 * Screening a file's header with a pixel filter: which section flags it first, and what
 * that means for its pixel data (pass, quarantine, or blank these regions).
 */
import type { DicomDataset, DicomElement } from '../dataset';
import type { DicomHeader } from '../header';
import { type Tag, tagGroup, Tags } from '../tags';
import type {
  FilterClause,
  FilterCondition,
  FilterLabel,
  FilterSection,
  PixelFilter,
  PixelRegion,
} from './filter-types';

/** What a filter decided for one file. */
export type ScreenVerdict =
  /** No section flagged the file, or a whitelist did: its pixel data is kept as it is. */
  | { readonly kind: 'pass'; readonly section?: string; readonly label?: string }
  /** A blacklist flagged it, or a graylist that gives no region to blank. */
  | {
      readonly kind: 'quarantine';
      readonly section: string;
      readonly label: string;
      readonly detail: string;
    }
  /** A graylist flagged it: blank these regions (in order: later ones overwrite earlier ones). */
  | {
      readonly kind: 'clean';
      readonly section: string;
      readonly labels: readonly string[];
      readonly regions: readonly PixelRegion[];
    };

const PASS: ScreenVerdict = { kind: 'pass' };

/**
 * Screen `header` with `filter`: the first section (in order) with a label whose criteria
 * hold decides. A whitelist passes the file; a blacklist quarantines it (naming the first
 * matching label); any other section blanks the regions of every matching label, or
 * quarantines the file when they name no region to blank.
 */
export function screenHeader(filter: PixelFilter, header: DicomHeader): ScreenVerdict {
  // The verdict depends on the values of the attributes the criteria read, alone: the
  // files of a series, which share them, are screened once.
  const key = valuesKey(header, tagsReadBy(filter));
  const remembered = key === undefined ? undefined : verdictsOf(filter);
  let verdict = key === undefined ? undefined : remembered?.get(key);
  if (!verdict) {
    verdict = screen(filter, new HeaderValues(header));
    if (remembered && remembered.size >= MAX_VERDICTS) remembered.clear();
    if (key !== undefined) remembered?.set(key, verdict);
  }
  return verdict;
}

/**
 * The stored values of `tags` in `header` and all that decoding them depends on (the byte
 * order, the Specific Character Set, each element's VR and items), as one text; undefined
 * when longer than {@link MAX_KEY_LENGTH} (not remembered then).
 */
function valuesKey(header: DicomHeader, tags: readonly Tag[]): string | undefined {
  const { dataset } = header;
  const charset = dataset.get(Tags.SpecificCharacterSet);
  const parts: unknown[] = [
    dataset.encoding.littleEndian,
    charset ? dataset.valueBytes(charset).toString('latin1') : null,
  ];
  let length = 0;
  for (const tag of tags) {
    const holder = tagGroup(tag) === 0x0002 ? header.meta : dataset;
    const element = holder.get(tag);
    if (!element) {
      parts.push(null);
      continue;
    }
    length += element.length;
    if (length > MAX_KEY_LENGTH) return undefined;
    parts.push([
      element.vr,
      element.items?.length ?? -1,
      holder.valueBytes(element).toString('latin1'),
    ]);
  }
  return JSON.stringify(parts);
}

/** Verdicts remembered per filter (at most {@link MAX_VERDICTS}, for keys of at most {@link MAX_KEY_LENGTH} characters). */
const verdicts = new WeakMap<PixelFilter, Map<string, ScreenVerdict>>();
const MAX_VERDICTS = 1000;
const MAX_KEY_LENGTH = 4096;

function verdictsOf(filter: PixelFilter): Map<string, ScreenVerdict> {
  return cached(verdicts, filter, () => new Map());
}

/** The value of `key` in `cache`, computed on first use. */
function cached<K extends object, V>(cache: WeakMap<K, V>, key: K, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
  }
  return value;
}

const filterTags = new WeakMap<PixelFilter, readonly Tag[]>();

/** The tags of the attributes `filter`'s criteria read, in ascending order. */
function tagsReadBy(filter: PixelFilter): readonly Tag[] {
  return cached(filterTags, filter, () => {
    const found = new Set<Tag>();
    for (const section of filter.sections)
      for (const label of section.labels)
        for (const clause of label.clauses)
          for (const { condition } of clause.conditions)
            if (condition.tag !== undefined) found.add(condition.tag);
    return [...found].sort((a, b) => a - b);
  });
}

/** The first section (in order) with a label whose criteria hold decides. */
function screen(filter: PixelFilter, values: HeaderValues): ScreenVerdict {
  for (const section of filter.sections) {
    const labels = section.labels.filter((label) => labelMatches(label, values));
    const first = labels[0];
    if (!first) continue;
    return verdictOf(section, labels, first);
  }
  return PASS;
}

function verdictOf(
  section: FilterSection,
  labels: readonly FilterLabel[],
  first: FilterLabel,
): ScreenVerdict {
  switch (section.kind) {
    case 'whitelist':
      return { kind: 'pass', section: section.name, label: first.name };
    case 'blacklist':
      return {
        kind: 'quarantine',
        section: section.name,
        label: first.name,
        detail: `flagged by the pixel filter's ${section.name}, label "${first.name}" (${first.origin})`,
      };
    case 'graylist': {
      const regions = labels.flatMap((l) => l.regions);
      if (!regions.some((r) => !r.keep)) {
        return {
          kind: 'quarantine',
          section: section.name,
          label: first.name,
          detail:
            `flagged by the pixel filter's ${section.name}, label "${first.name}" (${first.origin}), ` +
            'which names no region to blank: the pixels need a review',
        };
      }
      return { kind: 'clean', section: section.name, labels: labels.map((l) => l.name), regions };
    }
  }
}

/** A label without criteria holds when it has regions (deid: a label of coordinates only applies to every file). */
function labelMatches(label: FilterLabel, values: HeaderValues): boolean {
  if (label.clauses.length === 0) return label.regions.length > 0;
  return chain(label.clauses, (clause) => clauseHolds(clause, values));
}

function clauseHolds(clause: FilterClause, values: HeaderValues): boolean {
  return chain(clause.conditions, ({ condition }) => conditionHolds(condition, values));
}

/** What the criteria read of a header, each attribute decoded once per screening. */
class HeaderValues {
  private readonly texts = new Map<Tag, Attribute | null>();

  constructor(private readonly header: DicomHeader) {}

  /** The top-level (or file meta) attribute: its text, values and emptiness; null when absent. */
  get(tag: Tag): Attribute | null {
    let found = this.texts.get(tag);
    if (found === undefined) {
      const dataset = tagGroup(tag) === 0x0002 ? this.header.meta : this.header.dataset;
      const element = dataset.get(tag);
      found = element ? attributeOf(dataset, element) : null;
      this.texts.set(tag, found);
    }
    return found;
  }
}

interface Attribute {
  readonly text: string;
  /** The values, trimmed and in lower case. */
  readonly values: readonly string[];
  /** The text in lower case. */
  readonly lower: string;
  readonly empty: boolean;
}

/** What the criteria read of `element`, its value decoded once. */
function attributeOf(dataset: DicomDataset, element: DicomElement): Attribute {
  const decoded = dataset.text(element);
  const text = decoded.trim();
  return {
    text,
    values: dataset.texts(element, decoded).map((v) => v.trim().toLowerCase()),
    lower: text.toLowerCase(),
    empty: element.items ? element.items.length === 0 : element.length === 0 || decoded === '',
  };
}

/** Left to right, without precedence, as deid evaluates `+` (and) and `||` (or). */
function chain<T extends { readonly join: 'and' | 'or' }>(
  parts: readonly T[],
  holds: (part: T) => boolean,
): boolean {
  let result = false;
  parts.forEach((part, i) => {
    if (i === 0) result = holds(part);
    else if (part.join === 'and') result = result && holds(part);
    else result = result || holds(part);
  });
  return result;
}

function conditionHolds(condition: FilterCondition, values: HeaderValues): boolean {
  const attribute = condition.tag === undefined ? null : values.get(condition.tag);
  switch (condition.test) {
    case 'missing':
      return attribute === null;
    case 'present':
      return attribute !== null;
    case 'empty':
      return attribute !== null && attribute.empty;
    case 'contains':
    case 'notcontains': {
      const hit = attribute !== null && expressionOf(condition).test(attribute.text);
      return condition.test === 'contains' ? hit : !hit;
    }
    case 'equals':
    case 'notequals': {
      const hit = attribute !== null && equalsAny(attribute, condition);
      return condition.test === 'equals' ? hit : !hit;
    }
  }
}

const expressions = new WeakMap<FilterCondition, RegExp>();

/** The compiled (case-insensitive) expression of a `contains` condition, compiled once. */
function expressionOf(condition: FilterCondition): RegExp {
  return cached(expressions, condition, () => new RegExp(condition.value ?? '', 'i'));
}

const termLists = new WeakMap<FilterCondition, readonly string[]>();

/** The `|`-separated terms of an `equals` condition, trimmed and in lower case, split once. */
function termsOf(condition: FilterCondition): readonly string[] {
  return cached(termLists, condition, () =>
    (condition.value ?? '').split('|').map((t) => t.trim().toLowerCase()),
  );
}

/** The value (or one of its values) equals one of the condition's terms, ignoring case and surrounding spaces. */
function equalsAny(attribute: Attribute, condition: FilterCondition): boolean {
  return termsOf(condition).some(
    (term) => term === attribute.lower || attribute.values.includes(term),
  );
}
