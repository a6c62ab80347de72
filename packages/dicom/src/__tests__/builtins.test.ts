/**
 * deid_func UUIDs: valid version-4 strings, stable under the key unless
 * stable_remapping=false; and the RLE decoder on random bytes (it reads untrusted data).
 */
import { isSomError } from '@som/core';
import { decodeRleFrame } from '../pixels/rle';
import { identified, recipeOf, run, T } from './fixtures';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MANUFACTURER = 0x00080070;

/** The value `line` writes into `tag` in two runs on the same file with the same key. */
function uuids(line: string, tag: number = MANUFACTURER): [string | undefined, string | undefined] {
  const file = identified([{ tag: MANUFACTURER, vr: 'LO', value: 'Maker' }]);
  const a = run(file, recipeOf(line, 'KEEP ALL'));
  const b = run(file, recipeOf(line, 'KEEP ALL'));
  return [a.header.string(tag), b.header.string(tag)];
}

describe('deid_func UUIDs', () => {
  it('basic_uuid is a version-4 UUID, the same for the same value and key', () => {
    const [a, b] = uuids('REPLACE Manufacturer deid_func:basic_uuid');
    expect(a).toMatch(V4);
    expect(a).toBe(b);
  });

  it('suffix_uuid is the field name and a version-4 UUID', () => {
    const [a] = uuids('REPLACE Manufacturer deid_func:suffix_uuid');
    expect(a?.startsWith('manufacturer-')).toBe(true);
    expect(a?.slice('manufacturer-'.length)).toMatch(V4);
  });

  it('stable_remapping=false gives a new one each time; anything but true/false is an error', () => {
    const [a, b] = uuids('REPLACE Manufacturer deid_func:basic_uuid stable_remapping=false');
    expect(a).toMatch(V4);
    expect(a).not.toBe(b);
    const [c, d] = uuids(
      'REPLACE StudyInstanceUID deid_func:pydicom_uuid stable_remapping=false',
      T.StudyInstanceUID,
    );
    expect(c).toMatch(/^2\.25\.\d+$/);
    expect(c).not.toBe(d);
    expect(() => uuids('REPLACE Manufacturer deid_func:basic_uuid stable_remapping=yes')).toThrow(
      /stable_remapping=yes is neither true nor false/,
    );
  });
});

describe('decodeRleFrame on random bytes', () => {
  it('returns segments of the image size or a SomError, never anything else', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 500; i++) {
      const frame = Buffer.from(
        Array.from({ length: 64 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
      );
      // Half the frames get a plausible header: 1-3 segments starting at 64.
      if (i % 2 === 0) {
        frame.writeUInt32LE(1 + (i % 3), 0);
        for (let s = 0; s < 1 + (i % 3); s++) frame.writeUInt32LE(64 + s * 10, 4 + 4 * s);
      }
      try {
        const segments = decodeRleFrame(frame, 16, () => 'fuzz');
        for (const segment of segments) expect(segment.length).toBe(16);
      } catch (err) {
        expect(isSomError(err, 'InvalidArgument')).toBe(true);
      }
    }
  });
});
