import { isSomError } from '@som/core';
import { DasherRequestBuilder, type FileIdentifiers } from './request-builder';

/** One file of patient `mrn`, accession `accession`, study `study`, image `image`. */
function file(mrn: string, accession: string | undefined, study: string, image: string) {
  return {
    entityId: mrn,
    ...(accession === undefined ? {} : { accessionNumber: accession }),
    studyInstanceUid: study,
    sopInstanceUid: image,
    entity: { timestamp: '1961-07-27T00:00:00', fields: { PatientSex: 'F' } },
    study: { timestamp: `2010-02-04T11:50:00-0800`, fields: { StudyID: `S-${study}` } },
    image: { timestamp: `2010-02-04T11:51:00-0800`, fields: {} },
  } satisfies FileIdentifiers;
}

const files = [
  file('MRN2', 'ACC20', '1.2.20', '1.2.20.1'),
  file('MRN1', 'ACC11', '1.2.11', '1.2.11.2'),
  file('MRN1', 'ACC10', '1.2.10', '1.2.10.1'),
  file('MRN1', 'ACC10', '1.2.10', '1.2.10.2'),
  file('MRN3', undefined, '1.2.30', '1.2.30.1'), // no AccessionNumber
];

function build(options: ConstructorParameters<typeof DasherRequestBuilder>[0]) {
  const builder = new DasherRequestBuilder(options);
  for (const f of files) builder.add(f);
  return builder.request();
}

describe('DasherRequestBuilder', () => {
  it('asks for one item per study by default, with DICOM id_sources, in id order', () => {
    const request = build({});
    expect(request.identifiers.map((i) => [i.id, i.id_source])).toEqual([
      ['MRN1', 'DICOM PatientID'],
      ['MRN2', 'DICOM PatientID'],
      ['MRN3', 'DICOM PatientID'],
    ]);
    const [mrn1] = request.identifiers;
    expect(mrn1).toEqual({
      id: 'MRN1',
      id_source: 'DICOM PatientID',
      id_timestamp: '1961-07-27T00:00:00',
      custom_fields: { PatientSex: 'F' },
      items: [
        {
          id: '1.2.10',
          id_source: 'DICOM StudyInstanceUID',
          id_timestamp: '2010-02-04T11:50:00-0800',
          custom_fields: { StudyID: 'S-1.2.10' },
        },
        {
          id: '1.2.11',
          id_source: 'DICOM StudyInstanceUID',
          id_timestamp: '2010-02-04T11:50:00-0800',
          custom_fields: { StudyID: 'S-1.2.11' },
        },
      ],
    });
  });

  it("asks as the original pipeline did: items by accession number, the deployment's id_sources", () => {
    const request = build({
      itemLevel: 'accession',
      entitySource: 'Stanford MRN',
      itemSource: 'DCM Accession #',
    });
    expect(
      request.identifiers.map((i) => [i.id, i.id_source, i.items.map((x) => [x.id, x.id_source])]),
    ).toEqual([
      [
        'MRN1',
        'Stanford MRN',
        [
          ['ACC10', 'DCM Accession #'],
          ['ACC11', 'DCM Accession #'],
        ],
      ],
      ['MRN2', 'Stanford MRN', [['ACC20', 'DCM Accession #']]],
      ['MRN3', 'Stanford MRN', []], // a patient whose files have no AccessionNumber: no item
    ]);
    expect(request.identifiers[0]?.items[0]?.id_timestamp).toBe('2010-02-04T11:50:00-0800');
  });

  it('asks for one item per image at the image level, with the image details', () => {
    const request = build({ itemLevel: 'image' });
    expect(request.identifiers[0]?.items.map((x) => [x.id, x.id_source, x.id_timestamp])).toEqual([
      ['1.2.10.1', 'DICOM SOPInstanceUID', '2010-02-04T11:51:00-0800'],
      ['1.2.10.2', 'DICOM SOPInstanceUID', '2010-02-04T11:51:00-0800'],
      ['1.2.11.2', 'DICOM SOPInstanceUID', '2010-02-04T11:51:00-0800'],
    ]);
    expect(request.identifiers[0]?.items[0]).not.toHaveProperty('custom_fields'); // none given
  });

  it('defaults the item id_source to the attribute of the level', () => {
    expect(new DasherRequestBuilder({ itemLevel: 'accession' }).itemSource).toBe(
      'DICOM AccessionNumber',
    );
    expect(new DasherRequestBuilder({ itemSource: ' Stanford PACS ' }).itemSource).toBe(
      'Stanford PACS',
    );
  });

  it.each([
    [{ itemLevel: 'series' }, 'unknown item level "series": use accession, study, image'],
    [{ entitySource: '  ' }, 'the entity id_source must be 1-128 characters, not "  "'],
    [{ itemSource: 'x'.repeat(129) }, 'the item id_source must be 1-128 characters'],
    [
      { itemLevel: 'study', itemSource: 'DCM Accession #' },
      'the item id_source "DCM Accession #" names accession items but the item level is study',
    ],
  ])('refuses %j', (options, message) => {
    let error: unknown;
    try {
      new DasherRequestBuilder(options as ConstructorParameters<typeof DasherRequestBuilder>[0]);
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
    expect((error as Error).message).toContain(message);
  });

  it('refuses a file without a PatientID', () => {
    expect(() => new DasherRequestBuilder().add({ entityId: ' ' })).toThrow(
      'a file without a PatientID cannot be requested',
    );
  });
});
