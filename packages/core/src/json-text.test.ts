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

  it('names the problem and its line and column, never the text', () => {
    expect(messageOf('')).toBe('f.json is empty');
    expect(messageOf('{"a": 1,}')).toBe(
      'f.json is not valid JSON: expected a double-quoted property name at line 1, column 9',
    );
    expect(messageOf('{\n  "key": secretvalue\n}')).toBe(
      'f.json is not valid JSON: expected a value (object, array, string, number, true, false or null) at line 2, column 10',
    );
    expect(messageOf('{"a": "unterminated')).toBe(
      'f.json is not valid JSON: unexpected end of input at line 1, column 20',
    );
    expect(messageOf('[1 2]')).toBe(
      'f.json is not valid JSON: expected "," or "]" at line 1, column 4',
    );
    expect(messageOf('{"a" 1}')).toBe('f.json is not valid JSON: expected ":" at line 1, column 6');
    expect(messageOf('{} x')).toBe(
      'f.json is not valid JSON: unexpected text after the JSON value at line 1, column 4',
    );
    expect(messageOf('{"a": "tab\there"}')).toBe(
      'f.json is not valid JSON: control character in a string (escape it) at line 1, column 11',
    );
    expect(messageOf('{"a": "\\x"}')).toBe(
      'f.json is not valid JSON: bad escape in a string at line 1, column 8',
    );
    expect(messageOf('{"a": 01}')).toBe(
      'f.json is not valid JSON: expected "," or "}" at line 1, column 8',
    );
    expect(messageOf('{"a": -}')).toBe(
      'f.json is not valid JSON: malformed number at line 1, column 7',
    );
    expect(messageOf('{\n"key": secretvalue\n}')).not.toContain('secretvalue');
  });

  it('counts lines and columns from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
