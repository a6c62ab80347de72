/**
 * The data dictionary as looked up: every line of the generated PS3.6 table, read here on
 * its own, is what `lookupTag` and `tagOfKeyword` give (entries are made on first lookup).
 */
import { keywordOf, lookupTag, tagOfKeyword } from '..';
import { DICTIONARY_TEXT } from '../profile/dictionary.generated';

interface Row {
  tag: string;
  vrs: string;
  vm: string;
  retired: boolean;
  keyword: string;
}

const rows: Row[] = DICTIONARY_TEXT.trim()
  .split('\n')
  .map((line) => {
    const [tag = '', vrs = '', vm = '', retired = '', keyword = ''] = line.split(' ');
    return { tag, vrs, vm, retired: retired === 'R', keyword };
  });
const exact = rows.filter((row) => !row.tag.includes('X'));
const repeating = rows.filter((row) => row.tag.includes('X'));
const listed = new Set(exact.map((row) => parseInt(row.tag, 16) >>> 0));

/** The tag of a repeating group's row with each X replaced by `digit`. */
const instance = (row: Row, digit: string): number =>
  parseInt(row.tag.replace(/X/g, digit), 16) >>> 0;

describe('data dictionary', () => {
  it('reads the whole table', () => {
    expect(exact.length).toBeGreaterThan(4000);
    expect(repeating.length).toBeGreaterThan(10);
  });

  it('gives every attribute its keyword, VRs, VM and retired flag, by tag and by keyword', () => {
    const found = exact.map((row) => {
      const tag = parseInt(row.tag, 16) >>> 0;
      return {
        entry: lookupTag(tag),
        keyword: keywordOf(tag),
        byKeyword: [tagOfKeyword(row.keyword), tagOfKeyword(row.keyword.toUpperCase())],
      };
    });
    const expected = exact.map((row) => {
      const tag = parseInt(row.tag, 16) >>> 0;
      return {
        entry: {
          keyword: row.keyword,
          vr: row.vrs.slice(0, 2),
          ambiguousVr: row.vrs.includes('/'),
          vrs: row.vrs.split('/'),
          vm: row.vm,
          retired: row.retired,
        },
        keyword: row.keyword,
        byKeyword: [tag, tag],
      };
    });
    expect(found).toEqual(expected);
  });

  it('gives the same entry object on every lookup', () => {
    const tag = tagOfKeyword('PatientID') as number;
    expect(lookupTag(tag)).toBe(lookupTag(tag));
    expect(lookupTag(tag)?.vr).toBe('LO');
  });

  it('finds repeating groups for every group they cover, by the keyword of the first', () => {
    for (const row of repeating) {
      const first = instance(row, '0');
      for (const digit of ['0', '2', 'E']) {
        const tag = instance(row, digit);
        // A listed attribute or a group length (gggg,0000) is not the repeating group's.
        if ((tag & 0xffff) === 0 || listed.has(tag)) continue;
        expect(lookupTag(tag)?.keyword).toBe(row.keyword);
        expect(lookupTag(tag)?.vr).toBe(row.vrs.slice(0, 2));
      }
      const firstOfKeyword = repeating.find((r) => r.keyword === row.keyword) === row;
      if (firstOfKeyword && !exact.some((e) => e.keyword === row.keyword))
        expect(tagOfKeyword(row.keyword)).toBe(first);
    }
  });

  it('has no entry for private tags and unknown keywords; group lengths are UL', () => {
    expect(lookupTag(0x00091010)).toBeUndefined();
    expect(lookupTag(0x7fe10010)).toBeUndefined();
    expect(lookupTag(0x00280000)?.vr).toBe('UL');
    expect(tagOfKeyword('NoSuchKeyword')).toBeUndefined();
  });
});
