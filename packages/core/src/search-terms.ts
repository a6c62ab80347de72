/**
 * Search terms of `som search`: `FIELD=VALUE`, `FIELD>VALUE`, `FIELD<VALUE`, `FIELD>=VALUE`,
 * `FIELD<=VALUE`, turned into filters of the portable query subset. The metadata store is
 * type-strict (the number 512 never equals the string "512"), so the type of each value is
 * decided by these rules, in order:
 *
 * 1. A value in double quotes (`StudyDate='"20100101"'` in a shell) is a string, always.
 * 2. A field whose type is known (DICOM attributes by their VR: dates, codes and names
 *    are strings, `Rows`/`Columns` numbers; som's own fields such as `size`) gets that type.
 * 3. Otherwise `true`/`false` are booleans, `null` is null, a number (`512`, `-1.5`, `1e3`)
 *    is a number, and anything else is a string.
 */
import { SomError } from './errors';
import type { Filter, FilterOp } from './metadata-store/driver';

/** The type of a field's values, when known. */
export type FieldType = 'string' | 'number';

/** Tells the type of a field's values, or undefined when unknown. */
export type FieldTypes = (field: string) => FieldType | undefined;

const TERM = /^([A-Za-z_][A-Za-z0-9_]*)(>=|<=|=|>|<)(.*)$/s;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/** The syntax, for messages and help. */
export const SEARCH_TERM_SYNTAX =
  'FIELD=VALUE, FIELD>VALUE, FIELD<VALUE, FIELD>=VALUE or FIELD<=VALUE';

function invalid(term: string, why: string): SomError {
  return new SomError('InvalidArgument', `invalid search term ${JSON.stringify(term)}: ${why}`);
}

/** The typed value of `text` for `field` (see the rules above). */
export function searchValue(
  term: string,
  field: string,
  text: string,
  types: FieldTypes,
): string | number | boolean | null {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      throw invalid(term, 'the quoted value is not a valid JSON string');
    }
  }
  const type = types(field);
  if (type === 'string') return text;
  if (type === 'number') {
    if (!NUMBER.test(text.trim()))
      throw invalid(term, `${field} holds numbers, and ${JSON.stringify(text)} is not one`);
    return Number(text);
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null') return null;
  return NUMBER.test(text) ? Number(text) : text;
}

/**
 * The filter of one search term.
 * @throws SomError InvalidArgument naming the term and what is wrong with it.
 */
export function parseSearchTerm(term: string, types: FieldTypes = () => undefined): Filter {
  const match = TERM.exec(term);
  if (match === null) throw invalid(term, `expected ${SEARCH_TERM_SYNTAX}`);
  const [, field, op, text] = match as unknown as [string, string, FilterOp, string];
  if (text === '')
    throw invalid(term, 'the value is empty (write FIELD="" to search for an empty string)');
  if (/^[=<>]/.test(text))
    throw invalid(
      term,
      `the value starts with ${JSON.stringify(text[0])}, likely a typo (to search for it as written: ${field}${op}${JSON.stringify(text)})`,
    );
  const value = searchValue(term, field, text, types);
  if (op !== '=' && (value === null || typeof value === 'boolean'))
    throw invalid(term, `${op} compares strings or numbers only`);
  return { field, op, value };
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * A `FIELD=VALUE` assignment (e.g. `--metadata Site=Stanford`), the value typed by the
 * same rules as search values, so what is stored is found by the same term.
 * @throws SomError InvalidArgument naming the assignment.
 */
export function parseAssignment(
  text: string,
  types: FieldTypes = () => undefined,
): [string, string | number | boolean | null] {
  const match = ASSIGNMENT.exec(text);
  if (match === null)
    throw new SomError(
      'InvalidArgument',
      `invalid metadata ${JSON.stringify(text)}: expected FIELD=VALUE with FIELD of letters, digits and _`,
    );
  const [, field, value] = match as unknown as [string, string, string];
  return [field, searchValue(text, field, value, types)];
}
