/**
 * The reader against independent readers: dicom-parser for the offsets and lengths of
 * every top-level element, pydicom for decoded values (character sets included).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as dicomParser from 'dicom-parser';
import { CharacterSet, isDicom, readDicomHeader, sniffDicomFile } from '..';
import { parseDicom, type ParsedDicom } from '../reader';
import { PYDICOM_DATA, pydicomCheck, pydicomCorpus } from './checkers';

function readable(): { file: string; path: string; bytes: Buffer; parsed: ParsedDicom }[] {
  const out = [];
  for (const file of pydicomCorpus()) {
    const path = join(PYDICOM_DATA, file);
    const bytes = readFileSync(path);
    if (!isDicom(bytes.subarray(0, 132))) continue;
    try {
      out.push({ file, path, bytes, parsed: parseDicom(bytes, file) });
    } catch {
      // Broken files are covered by the corpus test.
    }
  }
  return out;
}

describe('reader', () => {
  const files = readable();

  it('finds every top-level element where dicom-parser does', () => {
    let compared = 0;
    const failures: string[] = [];
    for (const { file, bytes, parsed } of files) {
      let theirs: dicomParser.DataSet;
      try {
        const options: dicomParser.ParseDicomOptions = {
          inflater: (array: Uint8Array, position: number) => {
            const inflated = inflateRawSync(array.subarray(position));
            const whole = new Uint8Array(position + inflated.length);
            whole.set(array.subarray(0, position));
            whole.set(inflated, position);
            return whole;
          },
        };
        if (!parsed.hasPreamble) options.TransferSyntaxUID = parsed.transferSyntax.uid;
        theirs = dicomParser.parseDicom(
          new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
          options,
        );
      } catch {
        continue; // files dicom-parser cannot read
      }
      compared++;
      const shift = parsed.transferSyntax.deflated ? parsed.datasetOffset : 0;
      for (const e of [...parsed.meta.elements, ...parsed.dataset.elements]) {
        const theirElement = theirs.elements[`x${e.tag.toString(16).padStart(8, '0')}`];
        const offset = e.valueOffset + (e.tag >>> 16 === 2 ? 0 : shift);
        if (
          theirElement?.dataOffset !== offset ||
          (!e.undefinedLength && theirElement.length !== e.length)
        ) {
          failures.push(`${file} ${e.tag.toString(16)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(160);
  });

  it('decodes names, IDs, UIDs and dates as pydicom does, in every character set', () => {
    const theirs = pydicomCheck(
      files.map((f) => f.path),
      true,
    );
    const failures: string[] = [];
    let names = 0;
    for (const { file, path, bytes } of files) {
      const values = theirs.get(path)?.values;
      if (!values) continue;
      const header = readDicomHeader(bytes, file);
      for (const keyword of [
        'PatientName',
        'PatientID',
        'StudyInstanceUID',
        'SOPInstanceUID',
        'StudyDate',
      ]) {
        // pydicom drops some empty trailing name groups (`Wang^XiaoDong=王^小東=`); we keep the text as written.
        const pn = (v: string) => (keyword === 'PatientName' ? v.replace(/[=^]+$/, '') : v);
        const ours = pn(header.string(keyword) ?? '');
        if (ours !== pn(values[keyword] ?? ''))
          failures.push(`${file} ${keyword}: ${ours} != ${values[keyword]}`);
      }
      if (values.PatientName && /[^\x20-\x7e]/.test(values.PatientName)) names++;
    }
    expect(failures).toEqual([]);
    expect(names).toBeGreaterThanOrEqual(12);
  });

  it('decodes the character set of each sequence item (chrSQEncoding)', () => {
    for (const file of ['charset_files/chrSQEncoding.dcm', 'charset_files/chrSQEncoding1.dcm']) {
      const header = readDicomHeader(readFileSync(join(PYDICOM_DATA, file)), file);
      const item = header.items('RequestedProcedureCodeSequence')[0];
      expect(item?.string('PatientName')).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう');
    }
  });

  it('encodes replacement values in the character set, or refuses', () => {
    expect(new CharacterSet(['ISO_IR 192']).encode('山田')).toEqual(Buffer.from('山田', 'utf8'));
    expect(new CharacterSet(['ISO_IR 100']).encode('Jürgen')).toEqual(
      Buffer.from('Jürgen', 'latin1'),
    );
    const cyrillic = new CharacterSet(['ISO_IR 144']);
    expect(cyrillic.decode(cyrillic.encode('Люкc') ?? Buffer.alloc(0))).toBe('Люкc');
    expect(new CharacterSet(['', 'ISO 2022 IR 87']).encode('ANON')).toEqual(Buffer.from('ANON'));
    expect(new CharacterSet(['', 'ISO 2022 IR 87']).encode('山田')).toBeUndefined();
    expect(new CharacterSet(['ISO_IR 100']).encode('山田')).toBeUndefined();
  });

  it('recognises DICOM from the first bytes of a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-sniff-'));
    try {
      const part10 = join(dir, 'a');
      writeFileSync(
        part10,
        Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(10)]),
      );
      const raw = join(dir, 'b');
      writeFileSync(raw, readFileSync(join(PYDICOM_DATA, 'test_files/rtstruct.dcm')));
      const text = join(dir, 'c');
      writeFileSync(text, 'just text');
      expect(await sniffDicomFile(part10)).toBe(true);
      expect(await sniffDicomFile(raw)).toBe(true);
      expect(await sniffDicomFile(text)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detects the encoding of files without file meta, and of files that misdeclare it', () => {
    const syntax = (file: string) =>
      parseDicom(readFileSync(join(PYDICOM_DATA, file)), file).transferSyntax.uid;
    expect(syntax('test_files/ExplVR_BigEndNoMeta.dcm')).toBe('1.2.840.10008.1.2.2');
    expect(syntax('test_files/ExplVR_LitEndNoMeta.dcm')).toBe('1.2.840.10008.1.2.1');
    expect(syntax('test_files/rtstruct.dcm')).toBe('1.2.840.10008.1.2');
    expect(syntax('test_files/SC_rgb_jpeg.dcm')).toBe('1.2.840.10008.1.2');
  });
});
