import { isSomError } from '@som/core';
import { DasherRequestBuilder, type DasherResponse } from '@som/identifiers';
import {
  aliasesFor,
  fileIdentifiersOf,
  getIdentifiers,
  isoTimestamp,
  readDicomHeader,
  toDasherRequest,
} from '..';
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
  it('groups files by patient and study, and reports files without a Patient ID', () => {
    const files = [
      file('P1', '1.1'),
      file('P1', '1.1'),
      file('P1', '1.2'),
      file('P2', '2.1'),
      file(undefined, '3.1'),
    ];
    const ids = getIdentifiers(files);
    expect([...ids.entities.keys()]).toEqual(['P1', 'P2']);
    const p1 = ids.entities.get('P1');
    expect(p1).toMatchObject({
      id: 'P1',
      idSource: 'DICOM PatientID',
      timestamp: '1961-08-01T00:00:00',
    });
    expect(p1?.fields).toMatchObject({ PatientName: 'Name^P1', PatientBirthDate: '19610801' });
    expect([...(p1?.items.keys() ?? [])]).toEqual(['1.1', '1.2']);
    expect(p1?.items.get('1.1')).toMatchObject({
      idSource: 'DICOM StudyInstanceUID',
      timestamp: '2020-03-15T10:11:12',
      fields: { AccessionNumber: 'ACC1.1' },
      sources: [files[0]?.source, files[1]?.source],
    });
    expect(ids.failures.map((f) => f.source)).toEqual([files[4]?.source]);
    expect(isSomError(ids.failures[0]?.error, 'InvalidArgument')).toBe(true);
    expect(ids.failures[0]?.error.message).toMatch(/no PatientID/);
  });

  it('has items per image on request', () => {
    const ids = getIdentifiers([file('P1', '1.1'), file('P1', '1.1')], { itemLevel: 'image' });
    const items = [...(ids.entities.get('P1')?.items.values() ?? [])];
    expect(items).toHaveLength(2);
    expect(items[0]?.idSource).toBe('DICOM SOPInstanceUID');
    expect(items[0]?.fields).toMatchObject({ StudyInstanceUID: '1.1' });
  });

  it('builds DASHER requests with at most maxItemsPerRequest items per entity per request', () => {
    const files = [
      ...Array.from({ length: 5 }, (_, i) => file('P1', `1.${i}`)),
      ...Array.from({ length: 2 }, (_, i) => file('P2', `2.${i}`)),
    ];
    const requests = toDasherRequest(getIdentifiers(files), { maxItemsPerRequest: 2 });
    expect(
      requests.map((r) =>
        r.identifiers.map((e) => `${e.id}:${e.items.map((i) => i.id).join(',')}`),
      ),
    ).toEqual([['P1:1.0,1.1', 'P2:2.0,2.1'], ['P1:1.2,1.3'], ['P1:1.4']]);
    expect(requests[0]?.identifiers[0]).toMatchObject({
      id: 'P1',
      id_source: 'DICOM PatientID',
      id_timestamp: '1961-08-01T00:00:00',
      custom_fields: { PatientName: 'Name^P1' },
    });
    expect(requests[0]?.identifiers[0]?.items[0]).toMatchObject({
      id: '1.0',
      id_source: 'DICOM StudyInstanceUID',
      id_timestamp: '2020-03-15T10:11:12',
    });
    expect(toDasherRequest(getIdentifiers(files))).toHaveLength(1);
    expect(toDasherRequest(getIdentifiers([]))).toEqual([]);
    expect(() => toDasherRequest(getIdentifiers(files), { maxItemsPerRequest: 1001 })).toThrow(
      /from 1 to 1000/,
    );
  });

  it('splits an entity of 2,500 studies into requests of 1,000', () => {
    const files = Array.from({ length: 2500 }, (_, i) => file('BIG', `9.${i}`));
    const requests = toDasherRequest(getIdentifiers(files));
    expect(requests.map((r) => r.identifiers[0]?.items.length)).toEqual([1000, 1000, 500]);
  });

  it('finds the aliases of a file in a DASHER response', () => {
    const f = file('P1', '1.1');
    const response: DasherResponse = {
      results: [
        {
          id: 'P1',
          id_source: 'DICOM PatientID',
          suid: 'E1',
          jitter: -3,
          items: [{ id: '1.1', id_source: 'DICOM StudyInstanceUID', suid: 'S1', jitter: -3 }],
        },
      ],
    };
    expect(aliasesFor(response, f.header)).toMatchObject({
      entity: { suid: 'E1' },
      item: { suid: 'S1' },
    });
    expect(aliasesFor(response, file('P1', '1.9').header).item).toBeUndefined();
    expect(() => aliasesFor(response, file('P9', '1.1').header)).toThrow(
      /no entity for this file's Patient ID/,
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

  it('writes ISO timestamps with the UTC offset', () => {
    expect(isoTimestamp('20200315', '0930', '-0700')).toBe('2020-03-15T09:30:00-0700');
    expect(isoTimestamp('2020', '0930')).toBeUndefined();
    expect(isoTimestamp(undefined)).toBeUndefined();
  });
});
