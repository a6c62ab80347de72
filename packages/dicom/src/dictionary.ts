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
  readonly byTag: Map<Tag, DictionaryEntry>;
  readonly masked: MaskedEntry[];
  readonly byKeyword: Map<string, Tag>;
}

let index: Index | undefined;

function buildIndex(): Index {
  const byTag = new Map<Tag, DictionaryEntry>();
  const masked: MaskedEntry[] = [];
  const byKeyword = new Map<string, Tag>();
  for (const line of DICTIONARY_TEXT.split('\n')) {
    if (line === '') continue;
    const [tagText = '', vrs = '', vm = '', retired = '', keyword = ''] = line.split(' ');
    const entry: DictionaryEntry = {
      keyword,
      vr: vrs.slice(0, 2),
      ambiguousVr: vrs.length > 2,
      vrs: vrs.split('/'),
      vm,
      retired: retired === 'R',
    };
    if (tagText.includes('X')) {
      const value = parseInt(tagText.replace(/X/g, '0'), 16) >>> 0;
      const mask = parseInt(tagText.replace(/[0-9A-F]/g, 'F').replace(/X/g, '0'), 16) >>> 0;
      masked.push({ value, mask, entry });
      // As in pydicom, the keyword of a repeating group names its first group (60xx -> 6000).
      if (!byKeyword.has(keyword.toLowerCase())) byKeyword.set(keyword.toLowerCase(), value);
    } else {
      const tag = parseInt(tagText, 16) >>> 0;
      byTag.set(tag, entry);
      byKeyword.set(keyword.toLowerCase(), tag);
    }
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
