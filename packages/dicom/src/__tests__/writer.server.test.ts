/**
 * The splicing writer: untouched elements are byte-identical, lengths of the sequences and
 * items around a change are recomputed (undefined lengths stay undefined), values are
 * written in the data set's byte order and padded per VR, in every encoding.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DicomDataset, DicomElement } from '..';
import { parseDicom } from '../reader';
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, part10, type Enc, type Spec } from './builder';
import { dcmdump, pydicomCheck } from './checkers';
import { identified, ORIGINAL, recipeOf, run, T } from './fixtures';

const ENCODINGS: [string, Enc, string][] = [
  ['explicit VR little endian', EXPLICIT_LE, '1.2.840.10008.1.2.1'],
  ['implicit VR little endian', IMPLICIT_LE, '1.2.840.10008.1.2'],
  ['explicit VR big endian', EXPLICIT_BE, '1.2.840.10008.1.2.2'],
];

/** The fixture with the sequences in one length style, plus a nested sequence two levels deep. */
function specs(undefinedLength: boolean): Spec[] {
  const deep: Spec = {
    tag: 0x04000561, // OriginalAttributesSequence
    vr: 'SQ',
    undefinedLength,
    undefinedItems: undefinedLength,
    value: [
      [
        {
          tag: 0x04000550, // ModifiedAttributesSequence
          vr: 'SQ',
          undefinedLength: !undefinedLength,
          value: [[{ tag: T.PatientID, vr: 'LO', value: 'DEEP789' }]],
        },
        { tag: 0x04000564, vr: 'LO', value: 'SOURCE' },
      ],
    ],
  };
  return identified([deep]).map((s) =>
    Array.isArray(s.value) ? { ...s, undefinedLength, undefinedItems: undefinedLength } : s,
  );
}

const CHANGE = recipeOf(
  'REPLACE PatientID ODD\nREPLACE Rows 77\nREPLACE StudyInstanceUID 1.2.3',
  'KEEP ALL',
);

function bytesOf(ds: DicomDataset, e: DicomElement): Buffer {
  return ds.buffer.subarray(e.offset, e.end);
}

describe.each(ENCODINGS)('writer, %s', (_name, encoding, transferSyntax) => {
  const dir = mkdtempSync(join(tmpdir(), 'som-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([false, true])(
    'splices changes in sequences of undefined length: %s',
    (undefinedLength) => {
      const input = part10(specs(undefinedLength), transferSyntax, encoding);
      const result = run(specs(undefinedLength), CHANGE, { encoding, transferSyntax });
      const before = parseDicom(input, 'in').dataset;
      const after = parseDicom(result.bytes, 'out').dataset;

      // Every untouched top-level element is byte for byte the same.
      const changed = new Set<number>([
        T.PatientID,
        T.Rows,
        T.StudyInstanceUID,
        T.OtherPatientIDsSequence,
        0x04000561,
      ]);
      for (const e of before.elements) {
        if (changed.has(e.tag)) continue;
        const out = after.get(e.tag);
        expect(out && bytesOf(after, out).equals(bytesOf(before, e))).toBe(true);
      }

      // Changed values, in every item, at every depth, in the data set's byte order and padding.
      expect(after.string('PatientID')).toBe('ODD');
      expect(after.valueBytes(after.get(T.PatientID) as DicomElement).toString('latin1')).toBe(
        'ODD ',
      );
      expect(after.valueBytes(after.get(T.StudyInstanceUID) as DicomElement)).toEqual(
        Buffer.from('1.2.3\0'),
      );
      expect(after.valueBytes(after.get(T.Rows) as DicomElement)).toEqual(
        encoding.le ? Buffer.of(77, 0) : Buffer.of(0, 77),
      );
      const other = after.get(T.OtherPatientIDsSequence) as DicomElement;
      expect(after.items(other)[0]?.string('PatientID')).toBe('ODD');
      expect(after.items(other)[0]?.string('IssuerOfPatientID')).toBe('ISSUER');
      const original = after.get(0x04000561) as DicomElement;
      const modified = after.items(original)[0]?.get(0x04000550) as DicomElement;
      expect(after.items(original)[0]?.items(modified)[0]?.string('PatientID')).toBe('ODD');

      // Length styles are kept; defined lengths match the rewritten content.
      expect(other.undefinedLength).toBe(undefinedLength);
      expect(original.undefinedLength).toBe(undefinedLength);
      expect(modified.undefinedLength).toBe(!undefinedLength);
      if (!undefinedLength) {
        const items = other.items ?? [];
        expect(other.length).toBe((items.at(-1)?.end ?? 0) - (items[0]?.offset ?? 0));
      }

      // The parts are the file: the header, then the pixel data element as read.
      expect(Buffer.concat([...result.parts])).toEqual(result.bytes);
      expect(result.byteLength).toBe(result.bytes.length);
      expect(result.parts).toHaveLength(2);
      expect(result.parts[1]).toEqual(bytesOf(before, before.get(T.PixelData) as DicomElement));

      // The pixel data is the input's.
      expect(bytesOf(after, after.get(T.PixelData) as DicomElement)).toEqual(
        bytesOf(before, before.get(T.PixelData) as DicomElement),
      );

      // Independent readers agree.
      const file = join(dir, `out-${undefinedLength}.dcm`);
      writeFileSync(file, result.bytes);
      const checked = pydicomCheck([file]).get(file);
      expect(checked).toMatchObject({
        ok: true,
        transferSyntax,
        values: { PatientID: 'ODD', StudyInstanceUID: '1.2.3' },
      });
      expect(dcmdump(file).ok).toBe(true);
    },
  );

  it('writes a valid file meta group with a true group length, and no source AE title', () => {
    const result = run(specs(false), CHANGE, { encoding, transferSyntax });
    const meta = parseDicom(result.bytes, 'out').meta;
    const groupLength = meta.get(0x00020000) as DicomElement;
    const last = meta.elements.at(-1) as DicomElement;
    expect(meta.numbers(groupLength)[0]).toBe(last.end - groupLength.end);
    expect(meta.string('TransferSyntaxUID')).toBe(transferSyntax);
    expect(meta.get(0x00020016)).toBeUndefined();
    expect(meta.string('MediaStorageSOPInstanceUID')).toBe(ORIGINAL.sopInstanceUid);
    expect(result.bytes.subarray(0, 128).equals(Buffer.alloc(128))).toBe(true);
  });
});

describe('writer, deflated', () => {
  it('inflates, splices and deflates again, and pydicom and dcmdump read the result', () => {
    const transferSyntax = '1.2.840.10008.1.2.1.99';
    const result = run(specs(true), CHANGE, { transferSyntax });
    const out = parseDicom(result.bytes, 'out');
    expect(out.transferSyntax.deflated).toBe(true);
    expect(out.dataset.string('PatientID')).toBe('ODD');
    const before = parseDicom(part10(specs(true), transferSyntax, EXPLICIT_LE), 'in').dataset;
    const pixels = (ds: DicomDataset) => bytesOf(ds, ds.get(T.PixelData) as DicomElement);
    expect(pixels(out.dataset)).toEqual(pixels(before));
    const dir = mkdtempSync(join(tmpdir(), 'som-deflate-'));
    try {
      const file = join(dir, 'out.dcm');
      writeFileSync(file, result.bytes);
      expect(pydicomCheck([file]).get(file)).toMatchObject({
        ok: true,
        transferSyntax,
        values: { PatientID: 'ODD' },
      });
      expect(dcmdump(file).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
