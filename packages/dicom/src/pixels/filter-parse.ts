/**
 * Parsing the lines of a `%filter` section: `LABEL name`, criteria lines
 * (`contains Modality CT`, `+ equals Rows 512 || missing ImageType`) and coordinates lines.
 */
import { tagOfKeyword } from '../dictionary';
import type {
  FilterClause,
  FilterCondition,
  FilterListKind,
  FilterTest,
  JoinedCondition,
  PixelRegion,
  RegionShape,
} from './filter-types';

const TESTS: readonly FilterTest[] = [
  'contains',
  'notcontains',
  'equals',
  'notequals',
  'missing',
  'present',
  'empty',
];

/** A `+` or `||` between two conditions (one that is followed by a test word, not one inside a value). */
const JOIN =
  /\s*(\+|\|\|)\s*(?=(?:contains|notcontains|equals|notequals|missing|present|empty)\s)/i;

/** What a section's name makes it do. */
export function sectionKind(name: string): FilterListKind {
  const lower = name.toLowerCase();
  if (lower === 'whitelist') return 'whitelist';
  if (lower === 'blacklist') return 'blacklist';
  return 'graylist';
}

/** One line of a label: criteria, a region, or nothing (a comment). */
export type LabelLine =
  | { readonly kind: 'clause'; readonly clause: FilterClause }
  | { readonly kind: 'region'; readonly region: PixelRegion }
  | { readonly kind: 'none' };

/**
 * Parse one line inside a LABEL block; `fail` throws a message naming the line.
 */
export function parseLabelLine(
  text: string,
  fail: (problem: string) => never,
  warn: (problem: string) => void,
): LabelLine {
  const line = stripComment(text).trim();
  if (line === '') return { kind: 'none' };
  const coordinates =
    /^(ctpkeepcoordinates|ctpcoordinates|keepcoordinates|coordinates)\s+(.*)$/i.exec(line);
  if (coordinates) {
    const word = (coordinates[1] ?? '').toLowerCase();
    return {
      kind: 'region',
      region: {
        keep: word.includes('keep'),
        shape: parseShape(coordinates[2] ?? '', word.startsWith('ctp'), fail),
      },
    };
  }
  let join: 'and' | 'or' = 'and';
  let rest = line;
  if (rest.startsWith('+')) rest = rest.slice(1).trim();
  else if (rest.startsWith('||')) {
    join = 'or';
    rest = rest.slice(2).trim();
  }
  const conditions: JoinedCondition[] = [];
  let next: 'and' | 'or' = 'and';
  while (rest !== '') {
    const m = JOIN.exec(rest);
    const part = m ? rest.slice(0, m.index) : rest;
    conditions.push({ join: next, condition: parseCondition(part.trim(), fail, warn) });
    if (!m) break;
    next = m[1] === '+' ? 'and' : 'or';
    rest = rest.slice(m.index + m[0].length);
  }
  return { kind: 'clause', clause: { join, conditions } };
}

/** A `#` that starts a comment (after a space, or at the start). */
function stripComment(text: string): string {
  const m = /(^|\s)#/.exec(text);
  return m ? text.slice(0, m.index) : text;
}

function parseCondition(
  text: string,
  fail: (problem: string) => never,
  warn: (problem: string) => void,
): FilterCondition {
  const [word = '', field = '', ...rest] = text.split(/\s+/);
  const test = TESTS.find((t) => t === word.toLowerCase());
  if (!test) return fail(`unknown filter test ${JSON.stringify(word)}`);
  if (field === '') return fail(`${test} needs an attribute`);
  const tag = /^0x[0-9a-f]{8}$/i.test(field) ? parseInt(field, 16) >>> 0 : tagOfKeyword(field);
  if (tag === undefined)
    warn(`${field}: no attribute has this name; the filter takes it as always missing`);
  const value = text.slice(text.indexOf(field) + field.length).trim();
  if (test === 'missing' || test === 'present' || test === 'empty') {
    if (rest.length > 0) fail(`${test} takes only an attribute`);
    return { test, tag, field };
  }
  if (value === '') return fail(`${test} needs a value`);
  if (test === 'contains' || test === 'notcontains') {
    try {
      new RegExp(value, 'i');
    } catch {
      return fail(`${JSON.stringify(value)} is not a valid regular expression`);
    }
  }
  return { test, tag, field, value };
}

function parseShape(text: string, ctp: boolean, fail: (problem: string) => never): RegionShape {
  const raw = text.trim();
  if (raw.toLowerCase() === 'all') return { kind: 'all' };
  if (raw.toLowerCase().startsWith('from:')) {
    const field = raw.slice(5).trim();
    const tag = tagOfKeyword(field);
    if (tag === undefined) return fail(`unknown attribute keyword ${JSON.stringify(field)}`);
    return { kind: 'from', tag };
  }
  const numbers = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (numbers.length !== 4 || numbers.some((n) => !/^\d+$/.test(n)))
    return fail('coordinates need four whole numbers, "all" or "from:<attribute>"');
  const [a = 0, b = 0, c = 0, d = 0] = numbers.map(Number);
  // coordinates: x0,y0,x1,y1; ctpcoordinates (CTP's form): x,y,width,height.
  return ctp
    ? { kind: 'rect', x0: a, y0: b, x1: a + c, y1: b + d }
    : { kind: 'rect', x0: a, y0: b, x1: c, y1: d };
}
