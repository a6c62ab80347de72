/**
 * The default recipe: PS3.15 Table E.1-1 as a floor, its options, the de-identification
 * attributes, and the safe-keep policy beyond the table.
 */
import { defaultRecipe, lookupTag, type DeidResult, type ProfileOptions } from '..';
import { PROFILE_TABLE } from '../profile/table.generated';
import type { Spec } from './builder';
import { identified, ORIGINAL, remapped, run, T } from './fixtures';

const NO_JITTER = {
  entity: { id: 'x', id_source: 'y', suid: 'ENT-1', jitter: Number.NaN, items: [] },
};

function deid(extra: Spec[], options: ProfileOptions = {}, aliases?: typeof NO_JITTER): DeidResult {
  return run(identified(extra), defaultRecipe(options), aliases ? { aliases } : {});
}

const codes = (r: DeidResult): string[] =>
  r.header
    .items('DeidentificationMethodCodeSequence')
    .map((item) => item.string('CodeValue') ?? '');

describe('default profile', () => {
  it('replaces the patient by the entity alias and the accession number by the item alias', () => {
    const r = deid([]);
    expect(r.header.string('PatientName')).toBe('ENT-1');
    expect(r.header.string('PatientID')).toBe('ENT-1');
    expect(r.header.string('AccessionNumber')).toBe('ITEM-1');
    expect(r.header.has(T.OtherPatientIDsSequence)).toBe(false);
    expect(r.searchable).toMatchObject({
      PatientID: 'ENT-1',
      AccessionNumber: 'ITEM-1',
      Modality: 'OT',
      Rows: 2,
    });
  });

  it('shifts dates by the jitter and says so', () => {
    const r = deid([]);
    expect(r.header.string('StudyDate')).toBe('20200305');
    expect(r.header.string('AcquisitionDateTime')).toBe('20200305101010.5+0100');
    expect(r.header.string('StudyTime')).toBe('101010');
    // Table E.1-1 empties the birth date (Z) even with the Modified Dates option.
    expect(r.header.string('PatientBirthDate')).toBe('');
    expect(r.header.string('LongitudinalTemporalInformationModified')).toBe('MODIFIED');
    expect(r.header.string('PatientIdentityRemoved')).toBe('YES');
    expect(codes(r)).toEqual(['113100', '113107']);
    expect(r.header.strings('DeidentificationMethod')).toEqual([
      'Basic Application Confidentiality Profile',
      'Retain Longitudinal Temporal Information Modified Dates Option',
    ]);
    expect(r.searchable.StudyDate).toBe('20200305');
  });

  it('empties dates when the aliases carry no jitter, or without the option', () => {
    for (const r of [
      deid([], {}, NO_JITTER),
      deid([], { retainLongitudinalModifiedDates: false }),
    ]) {
      expect(r.header.string('StudyDate')).toBe('');
      expect(r.header.string('AcquisitionDateTime')).toBe('');
      expect(r.header.string('StudyTime')).toBe('');
      expect(r.header.string('PatientBirthDate')).toBe('');
      expect(r.header.string('LongitudinalTemporalInformationModified')).toBe('REMOVED');
      expect(codes(r)).toEqual(['113100']);
    }
  });

  it('remaps UIDs consistently (file meta included) unless Retain UIDs', () => {
    const r = deid([]);
    expect(r.header.string('StudyInstanceUID')).toBe(remapped(ORIGINAL.studyUid));
    expect(r.sopInstanceUid).toBe(remapped(ORIGINAL.sopInstanceUid));
    expect(r.header.string('MediaStorageSOPInstanceUID')).toBe(r.sopInstanceUid);
    expect(r.header.string('SOPClassUID')).toBe('1.2.840.10008.5.1.4.1.1.7');
    const ref = r.header.items('ReferencedImageSequence')[0];
    expect(ref?.string('ReferencedSOPInstanceUID')).toBe(remapped(ORIGINAL.referencedUid));
    expect(ref?.string('ReferencedSOPClassUID')).toBe('1.2.840.10008.5.1.4.1.1.7');
    const kept = deid([], { retainUids: true });
    expect(kept.header.string('StudyInstanceUID')).toBe(ORIGINAL.studyUid);
    expect(kept.sopInstanceUid).toBe(ORIGINAL.sopInstanceUid);
    expect(codes(kept)).toContain('113110');
  });

  it('applies the patient characteristics and device identity options', () => {
    const extra: Spec[] = [
      { tag: 0x00101010, vr: 'AS', value: '050Y' },
      { tag: 0x00100040, vr: 'CS', value: 'F' },
      { tag: 0x00081010, vr: 'SH', value: 'CT01-NORD' },
      { tag: 0x00181000, vr: 'LO', value: 'SN1234' },
    ];
    const basic = deid(extra);
    expect(basic.header.has('PatientAge')).toBe(false);
    expect(basic.header.string('PatientSex')).toBe('');
    expect(basic.header.string('StationName')).toBe('');
    expect(basic.header.string('DeviceSerialNumber')).toBe('');
    const retained = deid(extra, {
      retainPatientCharacteristics: true,
      retainDeviceIdentity: true,
    });
    expect(retained.header.string('PatientAge')).toBe('050Y');
    expect(retained.header.string('PatientSex')).toBe('F');
    expect(retained.header.string('StationName')).toBe('CT01-NORD');
    expect(retained.header.string('DeviceSerialNumber')).toBe('SN1234');
    expect(codes(retained)).toEqual(['113100', '113108', '113109', '113107']);
  });

  it('removes private attributes, but the known-safe ones with Retain Safe Private', () => {
    const extra: Spec[] = [
      { tag: 0x00190010, vr: 'LO', value: 'SIEMENS MR HEADER' },
      { tag: 0x0019100c, vr: 'IS', value: '1000' },
      { tag: 0x00191010, vr: 'LO', value: 'Doe^John' },
    ];
    const basic = deid(extra);
    expect(basic.header.has(0x00190010)).toBe(false);
    expect(basic.header.has(0x0019100c)).toBe(false);
    expect(basic.header.has(T.PrivateValue)).toBe(false);
    const safe = deid(extra, { retainSafePrivate: true });
    expect(safe.header.string(0x00190010)).toBe('SIEMENS MR HEADER');
    expect(safe.header.string(0x0019100c)).toBe('1000');
    expect(safe.header.has(0x00191010)).toBe(false);
    expect(safe.header.has(T.PrivateCreator)).toBe(false);
    expect(codes(safe)).toContain('113111');
  });

  it('keeps descriptors only with Clean Descriptors, and only when clean', () => {
    const series = (text: string): Spec[] => [{ tag: 0x0008103e, vr: 'LO', value: text }];
    expect(deid(series('AXIAL 5mm STND')).header.has('SeriesDescription')).toBe(false);
    expect(
      deid(series('AXIAL 5mm STND'), { cleanDescriptors: true }).header.string('SeriesDescription'),
    ).toBe('AXIAL 5mm STND');
    expect(
      deid(series('follow-up John'), { cleanDescriptors: true }).header.has('SeriesDescription'),
    ).toBe(false);
    expect(
      deid(series('PID123 chest'), { cleanDescriptors: true }).header.has('SeriesDescription'),
    ).toBe(false);
    expect(
      deid(series('since 2020-03-15'), { cleanDescriptors: true }).header.has('SeriesDescription'),
    ).toBe(false);
    expect(codes(deid([], { cleanDescriptors: true }))).toContain('113105');
  });

  it('keeps what is known to be safe beyond the table and removes the rest', () => {
    const r = deid([
      { tag: 0x00080070, vr: 'LO', value: 'ACME' }, // Manufacturer: safe text
      { tag: 0x00201040, vr: 'LO', value: 'free text' }, // PositionReferenceIndicator: unknown text
      { tag: 0x00200030, vr: 'DS', value: '1\\2\\3' }, // ImagePosition: retired
      { tag: 0x001200ff, vr: 'LO', value: 'unknown' }, // not in the dictionary
      { tag: 0x60000010, vr: 'US', value: Buffer.of(1, 0) }, // OverlayRows
      { tag: 0x50000005, vr: 'US', value: Buffer.of(1, 0) }, // CurveDimensions
      { tag: 0x00280030, vr: 'DS', value: '0.5\\0.5' }, // PixelSpacing
    ]);
    expect(r.header.string('Manufacturer')).toBe('ACME');
    expect(r.header.string('PixelSpacing')).toBe('0.5\\0.5');
    for (const tag of [0x00201040, 0x00200030, 0x001200ff, 0x60000010, 0x50000005])
      expect(r.header.has(tag)).toBe(false);
    expect(r.header.string('ImplementationClassUID')).toMatch(/^2\.25\./);
    expect(r.header.has('SourceApplicationEntityTitle')).toBe(false);
  });

  it('applies every row of Table E.1-1 to an attribute holding a marker', () => {
    const rows = PROFILE_TABLE.filter(([tag]) => !tag.includes('X')).map(
      ([tag, basic, options]) => {
        const t = parseInt(tag, 16) >>> 0;
        return { t, basic, options, vr: lookupTag(t)?.vr ?? '' };
      },
    );
    const text = new Set([
      'AE',
      'CS',
      'LO',
      'LT',
      'PN',
      'SH',
      'ST',
      'UC',
      'UT',
      'UI',
      'DA',
      'DT',
      'TM',
      'AS',
      'DS',
      'IS',
    ]);
    const present = new Set(identified().map((s) => s.tag));
    const tested = rows.filter(
      (r) => text.has(r.vr) && r.t >>> 16 !== 0x0002 && r.t >>> 16 !== 0 && !present.has(r.t),
    );
    const value = (vr: string, i: number): string =>
      ({
        DA: '20200315',
        DT: '20200315101010',
        TM: '101010',
        AS: '050Y',
        DS: `${i}.5`,
        IS: `${i}`,
        UI: `1.2.999.${i}`,
        CS: `PHI${i}`,
      })[vr] ?? `PHI${i}MARK`;
    const extra = tested.map((r, i): Spec => ({ tag: r.t, vr: r.vr, value: value(r.vr, i) }));
    const result = deid(extra);
    const failures: string[] = [];
    tested.forEach((row, i) => {
      const e = result.header.element(row.t);
      const out = e ? result.header.string(row.t) : undefined;
      const name = `${row.t.toString(16)} ${row.basic} ${row.vr}`;
      if (row.t === T.PatientID || row.t === T.PatientName || row.t === T.AccessionNumber) return;
      if (row.options.modifiedDates === 'C' && ['DA', 'DT'].includes(row.vr)) {
        if (
          out !== undefined &&
          out !== '' &&
          out !== value(row.vr, i).replace('20200315', '20200305')
        )
          failures.push(`${name}: ${out}`);
        return;
      }
      if (row.options.modifiedDates === 'C' && row.vr === 'TM') return;
      if (out !== undefined && out.includes(value(row.vr, i)) && row.vr !== 'UI')
        failures.push(`${name}: kept ${out}`);
      if (row.vr === 'UI' && out !== undefined && out !== remapped(value(row.vr, i)))
        failures.push(`${name}: UID ${out}`);
      if (['X', 'X/D'].includes(row.basic) && e) failures.push(`${name}: present`);
      if (
        ['Z', 'X/Z', 'Z/D', 'X/Z/D'].includes(row.basic) &&
        out !== '' &&
        row.options.modifiedDates !== 'C'
      )
        failures.push(`${name}: ${out}`);
    });
    expect(failures).toEqual([]);
    expect(tested.length).toBeGreaterThan(350);
    expect(result.bytes.includes('MARK')).toBe(false);
  });
});
