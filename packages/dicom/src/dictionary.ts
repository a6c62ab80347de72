/**
 * The PS3.6 data dictionary: keyword, VR, VM and retired flag of every standard attribute,
 * looked up by tag or keyword. Built lazily from the generated table.
 */
import { DICTIONARY_TEXT } from './profile/dictionary.generated';
import { isPrivateTag, isGroupLengthTag, type Tag } from './tags';

/** One attribute of the data dictionary. */
export interface DictionaryEntry {
  /** The keyword, e.g. `PatientName`. */
  readonly keyword: string;
  /** The VR; for attributes with several possible VRs (`US or SS`), the first. */
  readonly vr: string;
  /** True when the dictionary allows more than one VR (`US or SS`, `OB or OW`). */
  readonly ambiguousVr: boolean;
  /** Every VR the dictionary allows (one, or the alternatives of `US or SS`). */
  readonly vrs: readonly string[];
  /** The value multiplicity, e.g. `1`, `1-n`. */
  readonly vm: string;
  /** True for a retired attribute. */
  readonly retired: boolean;
}

interface MaskedEntry {
  readonly value: number;
  readonly mask: number;
  readonly entry: DictionaryEntry;
}

interface Index {
  /**
   * The entry of each standard tag; until it is first looked up, the offset of its line in
   * the table (most of the 5,000 attributes are never met, so their entries are never made).
   */
  readonly byTag: Map<Tag, DictionaryEntry | number>;
  readonly masked: MaskedEntry[];
  readonly byKeyword: Map<string, Tag>;
}

let index: Index | undefined;

/** The entry of the table's line starting at `at`. */
function entryAt(at: number): DictionaryEntry {
  const end = DICTIONARY_TEXT.indexOf('\n', at);
  const line = DICTIONARY_TEXT.slice(at, end < 0 ? undefined : end);
  const [, vrs = '', vm = '', retired = '', keyword = ''] = line.split(' ');
  return {
    keyword,
    vr: vrs.slice(0, 2),
    ambiguousVr: vrs.length > 2,
    vrs: vrs.split('/'),
    vm,
    retired: retired === 'R',
  };
}

/**
 * One pass over the table, keeping only each line's tag, keyword and offset: every process
 * and thread that reads DICOM builds this, so it must cost little (a few milliseconds; making
 * every entry took five times as long).
 */
function buildIndex(): Index {
  const byTag = new Map<Tag, DictionaryEntry | number>();
  const masked: MaskedEntry[] = [];
  const byKeyword = new Map<string, Tag>();
  const text = DICTIONARY_TEXT;
  for (let at = 0; at < text.length;) {
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline;
    if (end > at) {
      const tagText = text.slice(at, at + 8);
      const keyword = text.slice(text.lastIndexOf(' ', end) + 1, end).toLowerCase();
      if (tagText.includes('X')) {
        const value = parseInt(tagText.replace(/X/g, '0'), 16) >>> 0;
        const mask = parseInt(tagText.replace(/[0-9A-F]/g, 'F').replace(/X/g, '0'), 16) >>> 0;
        masked.push({ value, mask, entry: entryAt(at) });
        // As in pydicom, the keyword of a repeating group names its first group (60xx -> 6000).
        if (!byKeyword.has(keyword)) byKeyword.set(keyword, value);
      } else {
        const tag = parseInt(tagText, 16) >>> 0;
        byTag.set(tag, at);
        byKeyword.set(keyword, tag);
      }
    }
    at = end + 1;
  }
  return { byTag, masked, byKeyword };
}

function getIndex(): Index {
  index ??= buildIndex();
  return index;
}

const GROUP_LENGTH: DictionaryEntry = {
  keyword: 'GroupLength',
  vr: 'UL',
  ambiguousVr: false,
  vrs: ['UL'],
  vm: '1',
  retired: true,
};

/**
 * The dictionary entry of a standard attribute, or undefined for private and unknown tags.
 * Repeating groups such as `(60xx,0010)` are found for every group they cover; any
 * `(gggg,0000)` group length is a (retired) UL.
 */
export function lookupTag(tag: Tag): DictionaryEntry | undefined {
  if (isPrivateTag(tag)) return undefined;
  const { byTag, masked } = getIndex();
  const exact = byTag.get(tag);
  if (typeof exact === 'number') {
    const entry = entryAt(exact);
    byTag.set(tag, entry);
    return entry;
  }
  if (exact) return exact;
  if (isGroupLengthTag(tag)) return GROUP_LENGTH;
  for (const m of masked) if ((tag & m.mask) >>> 0 === m.value) return m.entry;
  return undefined;
}

/** The tag of a keyword (case-insensitive), or undefined when the dictionary has none. */
export function tagOfKeyword(keyword: string): Tag | undefined {
  return getIndex().byKeyword.get(keyword.toLowerCase());
}

/** The keyword of a standard tag, or undefined. */
export function keywordOf(tag: Tag): string | undefined {
  return lookupTag(tag)?.keyword;
}
