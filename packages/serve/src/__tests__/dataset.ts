/**
 * A small dataset on the memory stores for the server's unit tests: synthetic DICOM images
 * (built by the dicom package's independent test encoder) uploaded with their searchable
 * fields, and their study and series summaries written.
 */
import { Client, MemoryMetadataDriver, MemoryObjectDriver, type ImageInput } from '@som/core';
import { readDicomHeader, searchableFields } from '@som/dicom';
import { EXPLICIT_LE, part10, type Spec } from '../../../dicom/src/__tests__/builder';
import { refreshStudySeriesSummaries } from '../summaries';

/** What one synthetic image is. */
export interface ImageSpec {
  uid: string;
  study: string;
  series: string;
  sop: string;
  modality: string;
  instance: number;
  seriesNumber?: number;
  burnedIn?: string;
  studyDate?: string;
  patientId?: string;
  size?: number;
}

function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** A synthetic 16-bit monochrome image: a horizontal ramp, so a render is not blank. */
export function syntheticImage(spec: ImageSpec): Buffer {
  const size = spec.size ?? 32;
  const pixels = Buffer.alloc(size * size * 2);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) pixels.writeUInt16LE(x * 64 + y, 2 * (y * size + x));
  const specs: Spec[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' },
    { tag: 0x00080018, vr: 'UI', value: spec.sop },
    { tag: 0x00080020, vr: 'DA', value: spec.studyDate ?? '20200102' },
    { tag: 0x00080060, vr: 'CS', value: spec.modality },
    { tag: 0x0008103e, vr: 'LO', value: `series ${spec.series.slice(-1)} <b>bold</b>` },
    { tag: 0x00081140, vr: 'SQ', value: [[{ tag: 0x00081155, vr: 'UI', value: '1.2.3.99' }]] },
    { tag: 0x00100010, vr: 'PN', value: 'ALIAS^ONE' },
    { tag: 0x00100020, vr: 'LO', value: spec.patientId ?? 'P1' },
    { tag: 0x0020000d, vr: 'UI', value: spec.study },
    { tag: 0x0020000e, vr: 'UI', value: spec.series },
    { tag: 0x00200011, vr: 'IS', value: String(spec.seriesNumber ?? 1) },
    { tag: 0x00200013, vr: 'IS', value: String(spec.instance) },
    { tag: 0x00280002, vr: 'US', value: us(1) },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: us(size) },
    { tag: 0x00280011, vr: 'US', value: us(size) },
    { tag: 0x00280100, vr: 'US', value: us(16) },
    { tag: 0x00280101, vr: 'US', value: us(16) },
    { tag: 0x00280102, vr: 'US', value: us(15) },
    { tag: 0x00280103, vr: 'US', value: us(0) },
    ...(spec.burnedIn ? [{ tag: 0x00280301, vr: 'CS', value: spec.burnedIn }] : []),
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];
  return part10(specs, '1.2.840.10008.1.2.1', EXPLICIT_LE, '1.2.840.10008.5.1.4.1.1.2', spec.sop);
}

/** The images of the test dataset, by entity. */
export const DATASET: Record<string, ImageSpec[]> = {
  alice: [
    ...[1, 2, 3].map((n) => ({
      uid: `ct${n}`,
      study: '1.2.826.1.1',
      series: '1.2.826.1.1.1',
      sop: `1.2.826.1.1.1.${n}`,
      modality: 'CT',
      instance: n,
    })),
    {
      uid: 'us1',
      study: '1.2.826.1.1',
      series: '1.2.826.1.1.2',
      sop: '1.2.826.1.1.2.1',
      modality: 'US',
      instance: 1,
      seriesNumber: 2,
    },
    {
      uid: 'burned',
      study: '1.2.826.1.2',
      series: '1.2.826.1.2.1',
      sop: '1.2.826.1.2.1.1',
      modality: 'CT',
      instance: 1,
      burnedIn: 'YES',
      studyDate: '20210301',
    },
  ],
  bob: [
    {
      uid: 'mr1',
      study: '1.2.826.2.1',
      series: '1.2.826.2.1.1',
      sop: '1.2.826.2.1.1.1',
      modality: 'MR',
      instance: 1,
      patientId: 'P2',
      studyDate: '20190505',
    },
  ],
};

/** The collection of the test dataset. */
export const COLLECTION = 'demo';

/** A client on memory stores holding {@link DATASET}, with summaries written. */
export async function testClient(): Promise<Client> {
  const client = new Client({
    objectStore: new MemoryObjectDriver(),
    metadataStore: new MemoryMetadataDriver(),
  });
  for (const [entity, specs] of Object.entries(DATASET)) {
    const images: ImageInput[] = specs.map((spec) => {
      const bytes = syntheticImage(spec);
      return {
        uid: spec.uid,
        bytes,
        metadata: searchableFields(readDicomHeader(bytes, spec.uid)),
      };
    });
    const result = await client.uploadDataset({ collection: COLLECTION, uid: entity, images });
    if (result.failed.length > 0) throw result.failed[0]?.error;
    // The aggregates the upload pipeline writes on entity records.
    const dates = specs.map((s) => s.studyDate ?? '20200102').sort();
    await client.createEntity({
      collection: COLLECTION,
      uid: entity,
      metadata: {
        Modalities: [...new Set(specs.map((s) => s.modality))].sort().join(','),
        NumberOfStudies: new Set(specs.map((s) => s.study)).size,
        NumberOfImages: specs.length,
        FirstStudyDate: dates[0] as string,
        LastStudyDate: dates[dates.length - 1] as string,
      },
    });
    await refreshStudySeriesSummaries(client, { collection: COLLECTION, entity });
  }
  return client;
}
