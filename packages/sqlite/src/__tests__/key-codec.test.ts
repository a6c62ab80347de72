import { SomError, compareKeys, isUnder, type KeyPath } from '@som/core';
import { decodeKey, encodeKey } from '@som/sqlite';
import { descendantRange } from '../key-codec';

const parts = [
  'a',
  'ab',
  'a\u0000',
  'a\u0000b',
  'a\u0001',
  'a\u0002',
  'b',
  '\u00e9',
  '\uffff',
  '\u{1F600}',
  'A',
  '',
];
const keys: KeyPath[] = [];
for (const p of parts) {
  keys.push(['Collection', p]);
  for (const q of parts.slice(0, 6))
    keys.push(['Collection', p, 'Entity', q], ['Collection', p, 'Entity', q, 'Image', 'x']);
}

describe('record key encoding', () => {
  it('round-trips every key, including NUL and 0x01 in names', () => {
    for (const key of keys) expect(decodeKey(encodeKey(key))).toEqual(key);
  });

  it('sorts as compareKeys does (element by element, UTF-8 byte order, shorter first)', () => {
    const byBytes = [...keys].sort((a, b) => Buffer.compare(encodeKey(a), encodeKey(b)));
    const byKeys = [...keys].sort(compareKeys);
    expect(byBytes).toEqual(byKeys);
  });

  it('puts exactly the proper descendants of a path inside its range', () => {
    for (const ancestor of keys) {
      const { low, high } = descendantRange(ancestor);
      for (const key of keys) {
        const encoded = encodeKey(key);
        const inside = Buffer.compare(encoded, low) > 0 && Buffer.compare(encoded, high) < 0;
        expect({ ancestor, key, inside }).toEqual({
          ancestor,
          key,
          inside: isUnder(key, ancestor),
        });
      }
    }
  });

  it('rejects an element that is not valid Unicode (it would collide with U+FFFD)', () => {
    expect(() => encodeKey(['Collection', 'a\ud800'])).toThrow(SomError);
  });
});
