/** The key -> path encoding (unit). */
import { SomError } from '@som/core';
import {
  compareUtf8,
  keySegments,
  parseName,
  pendingSidecarName,
  segmentNames,
  sidecarName,
} from '../key-encoding';

const segments = [
  'i',
  '1.2.840.10008.5.1.4.1.1.2',
  'with space',
  '.hidden',
  '..x',
  '...',
  'x.obj',
  'x.cont',
  '.obj',
  'a.obj.b',
  '%',
  '%25',
  '%2E',
  'q?h#*"\'',
  'unicod\u00e9-\u65e5\u672c-\u{1F600}',
  'x'.repeat(600),
  '\u00e9'.repeat(500),
  '%'.repeat(400),
  '.'.repeat(250),
  '\u{1F600}'.repeat(300),
];

describe('fs key encoding', () => {
  it.each([
    ['a/../b', /"\." or "\.\." path segment/],
    ['..', /"\." or "\.\." path segment/],
    ['./a', /"\." or "\.\." path segment/],
    ['/etc/passwd', /absolute path/],
    ['a//b', /empty path segment/],
    ['a/', /empty path segment/],
    ['a\\b', /backslash/],
    ['C:\\Windows\\x', /backslash/],
    ['a\u0000b', /control character/],
    ['a\nb', /control character/],
    ['a\ud800b', /invalid Unicode/],
  ])('rejects %j with InvalidArgument naming the key', (key, reason) => {
    let thrown: unknown;
    try {
      keySegments(key);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SomError);
    expect(thrown).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining(JSON.stringify(key)),
    });
    expect((thrown as Error).message).toMatch(reason);
  });

  it.each(segments.map((s) => [s.length > 40 ? `${s.slice(0, 20)}... (${s.length})` : s, s]))(
    'encodes %j reversibly, in names that fit a file system and never look internal',
    (_label, segment) => {
      for (const role of ['file', 'dir'] as const) {
        const names = segmentNames(segment, role);
        let joined = '';
        names.forEach((name, i) => {
          expect(name.startsWith('.')).toBe(false);
          expect(
            Buffer.byteLength(pendingSidecarName(name, '0123456789abcdef')),
          ).toBeLessThanOrEqual(255);
          const parsed = parseName(name, role === 'dir' || i < names.length - 1);
          expect(parsed?.role).toBe(i < names.length - 1 ? 'continuation' : role);
          joined += parsed?.piece;
        });
        expect(joined).toBe(segment);
      }
    },
  );

  it('keeps the names of data files, directories and continuations apart', () => {
    const files = new Set(segments.map((s) => segmentNames(s, 'file').at(-1)));
    const dirs = segments.flatMap((s) => segmentNames(s, 'dir'));
    expect(dirs.filter((name) => files.has(name))).toEqual([]);
    for (const role of ['file', 'dir'] as const) {
      expect(new Set(segments.map((s) => segmentNames(s, role).join('/'))).size).toBe(
        segments.length,
      ); // one path per segment
    }
  });

  it('keeps readable names for normal keys', () => {
    expect(
      ['Collection', 'c', 'Entity', 'e', 'Images'].map((s) => segmentNames(s, 'dir')[0]),
    ).toEqual(['Collection', 'c', 'Entity', 'e', 'Images']);
    expect(segmentNames('1.2.3', 'file')).toEqual(['1.2.3.obj']);
    expect(sidecarName('1.2.3.obj')).toBe('.1.2.3.obj.json');
  });

  it('ignores names som did not write: internal, foreign, non-canonical, wrong type', () => {
    expect(parseName('.1.2.3.obj.json', false)).toBeUndefined();
    expect(parseName('.DS_Store', false)).toBeUndefined();
    expect(parseName('notes.txt', false)).toBeUndefined(); // a file without .obj
    expect(parseName('x.obj', true)).toBeUndefined(); // a directory named like a data file
    expect(parseName('a%2Eb.obj', false)).toBeUndefined(); // not canonical: som writes a.b.obj
    expect(parseName('100%.obj', false)).toBeUndefined(); // a bare %
    expect(parseName('a%2Eobj', true)).toEqual({ role: 'dir', piece: 'a.obj' });
  });

  it('compares like UTF-8 bytes, astral characters and U+E000..U+FFFF included', () => {
    const alphabet = [
      'a',
      'b',
      '/',
      '.',
      '\u00e9',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '\u{1F600}',
      '\u{10FFFF}',
      '',
    ];
    const strings: string[] = [];
    for (const x of alphabet)
      for (const y of alphabet) for (const z of alphabet.slice(0, 6)) strings.push(x + y + z);
    const byBytes = [...strings].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const byCompare = [...strings].sort(compareUtf8);
    expect(byCompare).toEqual(byBytes);
  });
});
