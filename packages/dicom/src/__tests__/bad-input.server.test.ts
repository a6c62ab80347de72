/**
 * Hostile and broken input: truncated files, lengths past the end, absurd lengths, deep
 * nesting, non-DICOM bytes and random corruption give a SomError for the file, never a
 * crash, a hang or a partial output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSomError } from '@som/core';
import { deidentify, isDicom, readDicomHeader, MAX_SEQUENCE_DEPTH, type DeidResult } from '..';
import { parseDicom } from '../reader';
import { encode, EXPLICIT_LE, IMPLICIT_LE, part10, type Spec } from './builder';
import { PYDICOM_DATA } from './checkers';
import { identified, recipeOf, run } from './fixtures';

const KEEP_ALL = recipeOf('KEEP ALL');

function deid(bytes: Buffer, source = 'bad.dcm'): DeidResult {
  return deidentify(bytes, {
    source,
    recipe: KEEP_ALL,
    aliases: { entity: { id: 'p', id_source: 's', suid: 'E', jitter: 1, items: [] } },
    uidKey: 'k',
  });
}

/** The message of the SomError InvalidArgument `fn` throws (fails the test for anything else). */
function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!isSomError(err, 'InvalidArgument'))
      throw new Error(`not a SomError InvalidArgument: ${String(err)}`);
    return err.message;
  }
  throw new Error('accepted');
}

function nested(depth: number, undefinedLength: boolean): Spec {
  let spec: Spec = { tag: 0x00100020, vr: 'LO', value: 'DEEP' };
  for (let i = 0; i < depth; i++) {
    spec = {
      tag: 0x04000561,
      vr: 'SQ',
      value: [[spec]],
      undefinedLength,
      undefinedItems: undefinedLength,
    };
  }
  return spec;
}

describe('bad input', () => {
  const ct = readFileSync(join(PYDICOM_DATA, 'test_files/CT_small.dcm'));

  it('rejects a file truncated inside any element, naming the file', () => {
    const offsets: number[] = [];
    const visit = (ds: ReturnType<typeof parseDicom>['dataset']): void => {
      for (const e of ds.elements) {
        if (e.length >= 2) offsets.push(e.valueOffset + 1);
        offsets.push(e.offset + 3);
        ds.items(e).forEach(visit);
      }
    };
    const parsed = parseDicom(ct, 'CT_small.dcm');
    visit(parsed.meta);
    visit(parsed.dataset);
    expect(offsets.length).toBeGreaterThan(400);
    for (const at of offsets) {
      expect(rejection(() => deid(ct.subarray(0, at), 'cut.dcm'))).toMatch(
        /^cut\.dcm: .* at byte \d+/,
      );
    }
  });

  it('reads the header of a file whose pixel data is truncated, but does not de-identify it', () => {
    const cut = ct.subarray(0, ct.length - 1000);
    expect(readDicomHeader(cut, 'cut.dcm').string('PatientID')).toBe('1CT1');
    expect(rejection(() => deid(cut, 'cut.dcm'))).toMatch(
      /PixelData \(7FE0,0010\) declares a value of 32768 bytes, past the end of its file/,
    );
  });

  it('rejects absurd lengths of elements, sequences and items', () => {
    const bytes = part10(identified(), '1.2.840.10008.1.2.1', EXPLICIT_LE);
    const dataset = parseDicom(bytes, 'x').dataset;
    const name = dataset.get(0x00100010);
    const sequence = dataset.get(0x00101002);
    const item = sequence?.items?.[0];
    if (!name || !sequence || !item) throw new Error('fixture');
    const patch = (at: number, write: (b: Buffer) => void): Buffer => {
      const copy = Buffer.from(bytes);
      write(copy.subarray(at));
      return copy;
    };
    expect(rejection(() => deid(patch(name.offset + 6, (b) => b.writeUInt16LE(0xfffe))))).toMatch(
      /PatientName \(0010,0010\) declares a value of 65534 bytes, past the end of its file/,
    );
    expect(
      rejection(() => deid(patch(sequence.offset + 8, (b) => b.writeUInt32LE(0x7fffffff)))),
    ).toMatch(/OtherPatientIDsSequence \(0010,1002\) declares a value of 2147483647 bytes/);
    expect(
      rejection(() => deid(patch(item.offset + 4, (b) => b.writeUInt32LE(0xfffffff0)))),
    ).toMatch(/item of 4294967280 bytes past the end of its sequence/);
  });

  it(`rejects sequences nested deeper than ${MAX_SEQUENCE_DEPTH} levels, and writes those within`, () => {
    for (const undefinedLength of [false, true]) {
      const ok = run(
        [...identified(), nested(MAX_SEQUENCE_DEPTH, undefinedLength)].sort(
          (a, b) => a.tag - b.tag,
        ),
        KEEP_ALL,
      );
      expect(ok.header.has(0x04000561)).toBe(true);
      const deep = part10(
        [...identified(), nested(MAX_SEQUENCE_DEPTH + 1, undefinedLength)].sort(
          (a, b) => a.tag - b.tag,
        ),
        '1.2.840.10008.1.2.1',
        EXPLICIT_LE,
      );
      expect(rejection(() => deid(deep))).toMatch(/sequences nested deeper than 64 levels/);
    }
  });

  it('rejects deep nesting hidden in a UN element of a standard sequence', () => {
    const inner = nested(MAX_SEQUENCE_DEPTH + 1, false);
    // The implicit VR encoding of the sequence, without its 8-byte element header: its items.
    const items = encode([inner], IMPLICIT_LE).subarray(8);
    const hidden: Spec = { tag: inner.tag, vr: 'UN', value: items };
    const bytes = part10(
      [...identified(), hidden].sort((a, b) => a.tag - b.tag),
      '1.2.840.10008.1.2.1',
      EXPLICIT_LE,
    );
    expect(rejection(() => deid(bytes))).toMatch(/sequences nested deeper than 64 levels/);
  });

  it('rejects a sequence or item of undefined length that is never closed', () => {
    const open = part10([{ ...nested(3, true) }], '1.2.840.10008.1.2', IMPLICIT_LE);
    expect(rejection(() => deid(open.subarray(0, open.length - 8)))).toMatch(
      /without its (sequence|item) delimitation item/,
    );
  });

  it('rejects what is not DICOM', () => {
    const png = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(200)]);
    const text = Buffer.from('FORMAT dicom\n%header\nREMOVE ALL\n'.repeat(10));
    for (const bytes of [Buffer.alloc(0), Buffer.from('hi'), png, text, Buffer.alloc(131)]) {
      expect(isDicom(bytes.subarray(0, 132))).toBe(false);
      expect(rejection(() => deid(bytes))).toMatch(/^bad\.dcm: /);
    }
  });

  it('rejects a deflated data set that does not inflate', () => {
    const bytes = part10(identified(), '1.2.840.10008.1.2.1.99', EXPLICIT_LE);
    const metaEnd = parseDicom(bytes, 'x').datasetOffset;
    const broken = Buffer.concat([
      bytes.subarray(0, metaEnd),
      Buffer.from('this is not deflate data at all'),
    ]);
    expect(rejection(() => deid(broken))).toMatch(/the deflated data set does not inflate/);
  });

  it('survives random corruption: a SomError or an output that reads back, never anything else', () => {
    const base = part10(
      identified([nested(4, true)]).sort((a, b) => a.tag - b.tag),
      '1.2.840.10008.1.2.1',
      EXPLICIT_LE,
    );
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let rejected = 0;
    let written = 0;
    for (let round = 0; round < 500; round++) {
      const bytes = Buffer.from(base);
      for (let k = 0; k < 1 + random(4); k++) bytes[132 + random(bytes.length - 132)] = random(256);
      try {
        const result = deid(bytes);
        parseDicom(result.bytes, 'out');
        written++;
      } catch (err) {
        if (!isSomError(err)) throw err;
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(50);
    expect(written).toBeGreaterThan(50);
  });
});
