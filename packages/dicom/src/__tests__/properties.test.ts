/**
 * Properties of the reader, the writer and the output checks, over generated data sets
 * (fast-check): what the test encoder writes, the reader reads back element for element;
 * arbitrary bytes give a value or a SomError, never anything else; a plan that keeps
 * everything writes the input's bytes, and a replaced value reads back with everything
 * else untouched; the multi-pattern search finds what a naive search finds; the value
 * checks agree with the calendar and refuse control characters.
 */
import fc from 'fast-check';
import { isSomError } from '@som/core';
import type { DicomDataset } from '../dataset';
import { parseDicom } from '../reader';
import { MIN_PATTERN_BYTES, MultiPatternSearch } from '../validate/multi-search';
import { valueProblem } from '../validate/values';
import { CharacterSet } from '../charset';
import { writeDataset, type ElementPlan } from '../writer';
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, part10, type Enc, type Spec } from './builder';

const ENCODINGS: [Enc, string][] = [
  [EXPLICIT_LE, '1.2.840.10008.1.2.1'],
  [IMPLICIT_LE, '1.2.840.10008.1.2'],
  [EXPLICIT_BE, '1.2.840.10008.1.2.2'],
];

/** Private elements `(0009,10xx)` of text or binary VRs (implicit VR reads them as UN). */
const leaf = fc.record({
  vr: fc.constantFrom('LO', 'SH', 'OB', 'UL', 'UT'),
  value: fc.uint8Array({ minLength: 0, maxLength: 40 }),
});

/** A data set: up to 12 leaves and sequences, tags ascending, sequences up to two deep. */
function dataset(depth: number): fc.Arbitrary<Spec[]> {
  const sequence = fc.record({
    items: fc.array(depth > 0 ? dataset(depth - 1) : fc.constant([] as Spec[]), { maxLength: 3 }),
    undefinedLength: fc.boolean(),
  });
  const element = depth > 0 ? fc.oneof(leaf, sequence) : leaf;
  return fc
    .uniqueArray(fc.tuple(fc.integer({ min: 0x00, max: 0xff }), element), {
      maxLength: 12,
      selector: ([offset]) => offset,
    })
    .map((entries) =>
      entries
        .sort((a, b) => a[0] - b[0])
        .map(([offset, e]): Spec => {
          const tag = (0x00091000 | offset) >>> 0;
          if ('items' in e)
            return {
              tag,
              vr: 'SQ',
              value: e.items,
              undefinedLength: e.undefinedLength,
              undefinedItems: e.undefinedLength,
            };
          const even = e.value.length % 2 === 0 ? e.value : [...e.value, 0];
          const size = e.vr === 'UL' ? 4 : 1;
          const bytes = Buffer.from(even.slice(0, even.length - (even.length % size)));
          return { tag, vr: e.vr, value: bytes };
        }),
    );
}

/** `specs` with every sequence and item of undefined length. */
function undefinedSequences(specs: Spec[]): Spec[] {
  return specs.map((s) =>
    Array.isArray(s.value)
      ? {
          ...s,
          value: s.value.map(undefinedSequences),
          undefinedLength: true,
          undefinedItems: true,
        }
      : s,
  );
}

/** The bytes of every leaf and the items of every sequence, for comparison. */
function shape(ds: DicomDataset): unknown[] {
  return ds.elements.map((e) =>
    e.items
      ? [e.tag, e.items.map((i) => shape(i.dataset))]
      : [e.tag, ds.valueBytes(e).toString('hex')],
  );
}

function expected(specs: Spec[]): unknown[] {
  return specs.map((s) =>
    Array.isArray(s.value)
      ? [s.tag, s.value.map(expected)]
      : [s.tag, Buffer.from(s.value as Buffer).toString('hex')],
  );
}

/** A plan that keeps every element of `ds` as it is. */
function keepAll(ds: DicomDataset): ElementPlan[] {
  return ds.elements.map((element) => ({ op: 'copy', element }));
}

describe('reader and writer properties', () => {
  it.each(ENCODINGS)('reads back what was written, in %o', (enc, syntax) => {
    // In implicit VR a private sequence is UN: read as items only with an undefined length.
    const specsOf = enc.explicit ? dataset(2) : dataset(2).map(undefinedSequences);
    fc.assert(
      fc.property(specsOf, (specs) => {
        const parsed = parseDicom(part10(specs, syntax, enc), 'p.dcm');
        expect(shape(parsed.dataset)).toEqual(expected(specs));
      }),
      { numRuns: 150 },
    );
  });

  it('gives a parse or a SomError for any bytes, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, preamble) => {
        const input = preamble
          ? Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), bytes])
          : Buffer.from(bytes);
        try {
          parseDicom(input, 'random.dcm');
        } catch (err) {
          if (!isSomError(err)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives a parse or a SomError for a valid file with corrupt bytes', () => {
    fc.assert(
      fc.property(
        dataset(2),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (specs, flips) => {
          const file = part10(specs, '1.2.840.10008.1.2.1', EXPLICIT_LE);
          for (const [at, byte] of flips) file[132 + (at % (file.length - 132))] = byte;
          try {
            parseDicom(file, 'corrupt.dcm');
          } catch (err) {
            if (!isSomError(err)) throw err;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(ENCODINGS)(
    'writes the input bytes for a plan that keeps everything, in %o',
    (enc, syntax) => {
      fc.assert(
        fc.property(dataset(2), (specs) => {
          const file = part10(specs, syntax, enc);
          const parsed = parseDicom(file, 'p.dcm');
          const written = writeDataset(keepAll(parsed.dataset), parsed.dataset);
          expect(Buffer.concat(written.parts).equals(file.subarray(parsed.datasetOffset))).toBe(
            true,
          );
          expect(written.length).toBe(file.length - parsed.datasetOffset);
        }),
        { numRuns: 100 },
      );
    },
  );

  it('splices a replaced value at any depth: it reads back, the rest is untouched', () => {
    fc.assert(
      fc.property(dataset(2), fc.uint8Array({ maxLength: 30 }), fc.boolean(), (specs, raw, le) => {
        const enc = le ? EXPLICIT_LE : EXPLICIT_BE;
        const syntax = le ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2.2';
        const file = part10(specs, syntax, enc);
        const parsed = parseDicom(file, 'p.dcm');
        const value = Buffer.from(raw.length % 2 === 0 ? raw : [...raw, 0]);
        // Replace every leaf of the innermost first item found, keep the rest.
        const plan = (ds: DicomDataset): ElementPlan[] =>
          ds.elements.map((element): ElementPlan => {
            if (element.items)
              return {
                op: 'sequence',
                element,
                items: element.items.map((item) => ({ item, elements: plan(item.dataset) })),
              };
            return { op: 'value', tag: element.tag, vr: 'OB', value };
          });
        const written = writeDataset(plan(parsed.dataset), parsed.dataset);
        const out = Buffer.concat([file.subarray(0, parsed.datasetOffset), ...written.parts]);
        const reread = parseDicom(out, 'out.dcm');
        const replaced = (s: Spec[]): unknown[] =>
          s.map((x) =>
            Array.isArray(x.value)
              ? [x.tag, x.value.map(replaced)]
              : [x.tag, value.toString('hex')],
          );
        expect(shape(reread.dataset)).toEqual(replaced(specs));
      }),
      { numRuns: 150 },
    );
  });
});

describe('multi-pattern search', () => {
  const lower = (b: Uint8Array): string => Buffer.from(b).toString('latin1').toLowerCase();

  it('finds exactly the occurrences of 4 bytes or more a naive search finds, ASCII case folded', () => {
    // A small alphabet: patterns overlap, share prefixes and occur often.
    const alphabet = fc.constantFrom(0x41, 0x61, 0x42, 0x62, 0x00, 0x5e, 0xe9);
    fc.assert(
      fc.property(
        fc.array(
          fc
            .uint8Array({ minLength: 1, maxLength: 7 })
            .map((a) => a.map((b) => [0x41, 0x61, 0x42, 0x62, 0x00, 0x5e, 0xe9][b % 7] ?? 0)),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.array(alphabet, { maxLength: 200 }),
        (patterns, text) => {
          const bytes = Buffer.from(text);
          const found = new Set<string>();
          new MultiPatternSearch(patterns).search(bytes, 0, bytes.length, (p, start) => {
            found.add(`${lower(patterns[p] ?? new Uint8Array())}@${start}`);
            return false;
          });
          const naive = new Set<string>();
          const haystack = lower(bytes);
          for (const p of patterns) {
            if (p.length < MIN_PATTERN_BYTES) continue;
            const needle = lower(p);
            for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1))
              naive.add(`${needle}@${i}`);
          }
          expect([...found].sort()).toEqual([...naive].sort());
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('value checks', () => {
  it('takes a DA value as valid exactly when the calendar has the day (years 0001-9999)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const text = `${String(year).padStart(4, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
          const date = new Date(0);
          date.setUTCFullYear(year, month - 1, day);
          const exists = year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
          const problem = valueProblem('DA', Buffer.from(text), CharacterSet.DEFAULT);
          expect(problem === undefined).toBe(exists);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes a DS value as valid exactly when each of its values is a decimal number', () => {
    // PS3.5 6.2: a fixed or floating point number, optionally signed, with an exponent.
    const decimal = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
    const chars = fc.constantFrom(...'0123456789+-.eE \\x'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 14 }), (letters) => {
        const text = letters.join('');
        const valid = text
          .replace(/[ ]+$/, '')
          .split('\\')
          .every((v) => v.trim() === '' || decimal.test(v.trim()));
        const problem = valueProblem('DS', Buffer.from(text, 'latin1'), CharacterSet.DEFAULT);
        expect(problem === undefined).toBe(valid);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses any control character in a text value but the escapes of its character sets', () => {
    const jis = new CharacterSet(['', 'ISO 2022 IR 87']);
    expect(valueProblem('PN', Buffer.from('\x1b$B;3ED\x1b(B^Taro', 'latin1'), jis)).toBeUndefined();
    expect(valueProblem('PN', Buffer.from('\x1b$B;3ED', 'latin1'), CharacterSet.DEFAULT)).toMatch(
      /escape sequence the Specific Character Set does not declare/,
    );
    expect(valueProblem('PN', Buffer.from('\x1b-A', 'latin1'), jis)).toMatch(/escape sequence/);
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 0x1f }), (text, control) => {
        const bytes = Buffer.from(
          `${text.replace(/[^ -~]/g, 'x')}${String.fromCharCode(control)}x`,
          'latin1',
        );
        const problem = valueProblem('LO', bytes, CharacterSet.DEFAULT);
        expect(problem).toMatch(/control character|escape sequence/);
      }),
    );
  });
});
