import { lineAndColumn, parseJson } from './json-text';

function messageOf(text: string): string {
  try {
    parseJson(text, 'f.json');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseJson', () => {
  it('parses JSON and ignores a byte-order mark', () => {
    expect(parseJson('\ufeff{"a": [1, "x"]}', 'f')).toEqual({ a: [1, 'x'] });
  });

  const INVALID = 'f.json is not valid JSON: ';
  it.each([
    ['{"a": 1,}', 'expected a double-quoted property name at line 1, column 9'],
    [
      '{\n  "key": secretvalue\n}',
      'expected a value (object, array, string, number, true, false or null) at line 2, column 10',
    ],
    ['{"a": "unterminated', 'unexpected end of input at line 1, column 20'],
    ['[1 2]', 'expected "," or "]" at line 1, column 4'],
    ['{"a" 1}', 'expected ":" at line 1, column 6'],
    ['{} x', 'unexpected text after the JSON value at line 1, column 4'],
    ['{"a": "tab\there"}', 'control character in a string (escape it) at line 1, column 11'],
    ['{"a": "\\x"}', 'bad escape in a string at line 1, column 8'],
    ['{"a": 01}', 'expected "," or "}" at line 1, column 8'],
    ['{"a": -}', 'malformed number at line 1, column 7'],
  ])('names the problem of %j and its line and column, never the text', (text, problem) => {
    expect(messageOf(text)).toBe(`${INVALID}${problem}`);
  });

  it('says an empty text is empty, and never quotes a value', () => {
    expect(messageOf('')).toBe('f.json is empty');
    expect(messageOf('{\n"key": secretvalue\n}')).not.toContain('secretvalue');
  });

  it('counts lines and columns from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
