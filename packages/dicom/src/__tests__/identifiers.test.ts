import { isSomError } from '@som/core';
import { DasherRequestBuilder } from '@som/identifiers';
import { fileIdentifiersOf, fileKeysOf, isoTimestamp, readDicomHeader } from '..';
import { EXPLICIT_LE, part10, type Spec } from './builder';

let counter = 0;
function file(
  patient: string | undefined,
  study: string,
  extra: Spec[] = [],
): { source: string; header: ReturnType<typeof readDicomHeader> } {
  counter++;
  const specs: Spec[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: `1.2.3.${counter}` },
    { tag: 0x00080020, vr: 'DA', value: '20200315' },
    { tag: 0x00080030, vr: 'TM', value: '101112.5' },
    { tag: 0x00080050, vr: 'SH', value: `ACC${study}` },
    { tag: 0x00100010, vr: 'PN', value: `Name^${patient ?? ''}` },
    ...(patient === undefined ? [] : [{ tag: 0x00100020, vr: 'LO', value: patient }]),
    { tag: 0x00100030, vr: 'DA', value: '19610801' },
    { tag: 0x0020000d, vr: 'UI', value: study },
    ...extra,
  ].sort((a, b) => a.tag - b.tag);
  const source = `f${counter}.dcm`;
  return {
    source,
    header: readDicomHeader(part10(specs, '1.2.840.10008.1.2.1', EXPLICIT_LE), source),
  };
}

describe('identifiers', () => {
  it('requests one identifier per patient, one item per study, in id order', () => {
    const files = [file('P2', '2.1'), file('P1', '1.2'), file('P1', '1.1'), file('P1', '1.1')];
    const builder = new DasherRequestBuilder();
    for (const f of files) builder.add(fileIdentifiersOf(f.header));
    const request = builder.request();
    expect(request.identifiers.map((e) => [e.id, e.items.map((i) => i.id)])).toEqual([
      ['P1', ['1.1', '1.2']],
      ['P2', ['2.1']],
    ]);
    expect(request.identifiers[0]).toMatchObject({
      id_source: 'DICOM PatientID',
      id_timestamp: '1961-08-01T00:00:00',
      custom_fields: { PatientName: 'Name^P1', PatientBirthDate: '19610801' },
    });
    expect(request.identifiers[0]?.items[0]).toMatchObject({
      id_source: 'DICOM StudyInstanceUID',
      id_timestamp: '2020-03-15T10:11:12',
      custom_fields: { AccessionNumber: 'ACC1.1' },
    });
  });

  it('names a file without a PatientID', () => {
    const f = file(undefined, '3.1');
    let error: unknown;
    try {
      fileIdentifiersOf(f.header);
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
    expect((error as Error).message).toBe(
      `${f.source}: no PatientID, cannot tell which alias applies`,
    );
  });

  it("collects a file's AccessionNumber, StudyInstanceUID and SOPInstanceUID for request and lookup", () => {
    const f = file('P1', '1.1', [
      { tag: 0x00080023, vr: 'DA', value: '20200316' },
      { tag: 0x00080033, vr: 'TM', value: '0930' },
      { tag: 0x00080201, vr: 'SH', value: '-0700' },
    ]);
    const ids = fileIdentifiersOf(f.header);
    expect(ids).toMatchObject({
      entityId: 'P1',
      accessionNumber: 'ACC1.1',
      studyInstanceUid: '1.1',
      sopInstanceUid: `1.2.3.${counter}`,
      entity: { timestamp: '1961-08-01T00:00:00', fields: { PatientName: 'Name^P1' } },
      study: { timestamp: '2020-03-15T10:11:12-0700', fields: { AccessionNumber: 'ACC1.1' } },
      image: { timestamp: '2020-03-16T09:30:00-0700', fields: { StudyInstanceUID: '1.1' } },
    });
    const builder = new DasherRequestBuilder({ itemLevel: 'accession' });
    builder.add(ids);
    expect(builder.request().identifiers[0]?.items).toEqual([
      {
        id: 'ACC1.1',
        id_source: 'DICOM AccessionNumber',
        id_timestamp: '2020-03-15T10:11:12-0700',
        custom_fields: ids.study?.fields,
      },
    ]);
    expect(() => fileIdentifiersOf(file(undefined, '3.1').header)).toThrow(/no PatientID/);
  });

  it('reads only the keys for lookups: the same as the identifiers have, and the same refusal', () => {
    const f = file('P7', '7.1');
    const { entityId, accessionNumber, studyInstanceUid, sopInstanceUid } = fileIdentifiersOf(
      f.header,
    );
    expect(fileKeysOf(f.header)).toStrictEqual({
      entityId,
      accessionNumber,
      studyInstanceUid,
      sopInstanceUid,
    });
    expect(fileKeysOf(f.header)).toMatchObject({ entityId: 'P7', studyInstanceUid: '7.1' });
    const bare = readDicomHeader(
      part10([{ tag: 0x00100020, vr: 'LO', value: 'P8' }], '1.2.840.10008.1.2.1', EXPLICIT_LE),
      'bare.dcm',
    );
    expect(fileKeysOf(bare)).toStrictEqual({
      entityId: 'P8',
      accessionNumber: undefined,
      studyInstanceUid: undefined,
      sopInstanceUid: undefined,
    });
    const g = file(undefined, '3.2');
    expect(() => fileKeysOf(g.header)).toThrow(
      `${g.source}: no PatientID, cannot tell which alias applies`,
    );
  });

  it('writes ISO timestamps with the UTC offset', () => {
    expect(isoTimestamp('20200315', '0930', '-0700')).toBe('2020-03-15T09:30:00-0700');
    expect(isoTimestamp('2020', '0930')).toBeUndefined();
    expect(isoTimestamp(undefined)).toBeUndefined();
  });
});
