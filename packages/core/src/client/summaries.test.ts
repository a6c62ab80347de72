import { MemoryMetadataDriver } from '../metadata-store/memory';
import { toModelRecord, type ModelRecord } from '../model';
import { entityKey, seriesKey, studyKey, type EntityRef } from '../names';
import { MemoryObjectDriver } from '../object-store/memory';
import { Client } from './client';
import { SERIES_KIND, STUDY_KIND } from '../names';
import { refreshStudySeriesSummaries } from './summaries';

const alice: EntityRef = { collection: 'demo', entity: 'alice' };

/** The image records of alice: a CT series of three and a US image in one study, a CT image in another. */
const IMAGES = [
  { uid: 'ct1', series: '1.2.826.1.1.1', study: '1.2.826.1.1', Modality: 'CT', InstanceNumber: 1 },
  { uid: 'ct2', series: '1.2.826.1.1.1', study: '1.2.826.1.1', Modality: 'CT', InstanceNumber: 2 },
  { uid: 'ct3', series: '1.2.826.1.1.1', study: '1.2.826.1.1', Modality: 'CT', InstanceNumber: 3 },
  { uid: 'us1', series: '1.2.826.1.1.2', study: '1.2.826.1.1', Modality: 'US', InstanceNumber: 1 },
  { uid: 'late', series: '1.2.826.1.2.1', study: '1.2.826.1.2', Modality: 'CT', InstanceNumber: 1 },
];

async function client(): Promise<Client> {
  const c = new Client({
    objectStore: new MemoryObjectDriver(),
    metadataStore: new MemoryMetadataDriver(),
  });
  await c.uploadDataset({
    collection: alice.collection,
    uid: alice.entity,
    images: IMAGES.map(({ uid, study, series, ...fields }) => ({
      uid,
      bytes: Buffer.from(`image ${uid}`),
      metadata: {
        ...fields,
        StudyInstanceUID: study,
        SeriesInstanceUID: series,
        StudyDate: study.endsWith('.1') ? '20200102' : '20210301',
        PatientID: 'P1',
        SeriesNumber: 1,
      },
    })),
  });
  // One image without a study: in no summary.
  await c.uploadImage({ ...alice, image: { uid: 'loose', bytes: Buffer.from('loose') } });
  await refreshStudySeriesSummaries(c, alice);
  return c;
}

async function under(c: Client, kind: string): Promise<ModelRecord[]> {
  const out = [];
  for await (const r of c.records.queryAll({ kind, ancestor: entityKey(alice), limit: 100 }))
    out.push(toModelRecord(r));
  return out;
}

describe('study and series summaries', () => {
  let c: Client;
  beforeEach(async () => {
    c = await client();
  });
  afterEach(() => c.close());

  it('writes one Study record per study and one Series record per series, under the entity', async () => {
    const studies = await under(c, STUDY_KIND);
    expect(studies.map((s) => s.uid)).toEqual(['1.2.826.1.1', '1.2.826.1.2']);
    expect(studies[0]?.key).toEqual(studyKey(alice, '1.2.826.1.1'));
    expect(studies[0]).toMatchObject({ collection: 'demo', entity: 'alice' });
    expect(studies[0]?.data).toMatchObject({
      StudyInstanceUID: '1.2.826.1.1',
      StudyDate: '20200102',
      PatientID: 'P1',
      ModalitiesInStudy: 'CT,US',
      NumberOfStudyRelatedSeries: 2,
      NumberOfStudyRelatedInstances: 4,
    });
    const series = await under(c, SERIES_KIND);
    expect(series.map((s) => s.uid)).toEqual(['1.2.826.1.1.1', '1.2.826.1.1.2', '1.2.826.1.2.1']);
    expect(series[0]?.key).toEqual(seriesKey(alice, '1.2.826.1.1.1'));
    const ct2 = await c.getImage({ ...alice, image: 'ct2' });
    expect(series[0]?.data).toMatchObject({
      StudyInstanceUID: '1.2.826.1.1',
      Modality: 'CT',
      SeriesNumber: 1,
      NumberOfSeriesRelatedInstances: 3,
      MiddleImage: 'ct2',
      MiddleImageMd5: ct2.data.md5,
    });
  });

  it('rewrites nothing when nothing changed, and deletes the summaries of images gone', async () => {
    expect(await refreshStudySeriesSummaries(c, alice)).toEqual({ written: 0, deleted: 0 });
    await c.deleteImage({ ...alice, image: 'late' });
    await c.deleteImage({ ...alice, image: 'ct3' });
    expect(await refreshStudySeriesSummaries(c, alice)).toEqual({ written: 2, deleted: 2 });
    expect((await under(c, STUDY_KIND)).map((s) => s.uid)).toEqual(['1.2.826.1.1']);
    const [ctSeries] = await under(c, SERIES_KIND);
    expect(ctSeries?.data).toMatchObject({ NumberOfSeriesRelatedInstances: 2, MiddleImage: 'ct1' });
  });

  it('keeps the created time of a summary it rewrites', async () => {
    const [before] = await under(c, STUDY_KIND);
    await c.deleteImage({ ...alice, image: 'ct1' });
    await refreshStudySeriesSummaries(c, alice, { now: () => new Date('2030-01-01T00:00:00Z') });
    const [after] = await under(c, STUDY_KIND);
    expect(after?.data.created).toBe(before?.data.created);
    expect(after?.data.updated).toBe('2030-01-01T00:00:00.000Z');
  });

  it('deleting the entity deletes its summaries', async () => {
    await c.deleteEntity(alice);
    expect(await under(c, STUDY_KIND)).toEqual([]);
    expect(await under(c, SERIES_KIND)).toEqual([]);
  });

  it('verify finds summaries missing or out of date, and --repair rebuilds them', async () => {
    const wanted = [...(await under(c, STUDY_KIND)), ...(await under(c, SERIES_KIND))];
    await c.records.deleteMany((await under(c, SERIES_KIND)).map((s) => s.key));
    await c.records.put(studyKey(alice, '1.2.999'), { uid: '1.2.999' });
    const found = await c.verify();
    expect(found.problems).toEqual([
      {
        type: 'stale-summary',
        subject: 'Collection/demo/Entity/alice',
        detail: 'study and series summaries out of date: 3 records to write, 1 record to delete',
        repaired: false,
      },
    ]);
    expect((await under(c, SERIES_KIND)).length).toBe(0);
    const repaired = await c.verify({ repair: true });
    expect(repaired.problems.map((p) => [p.type, p.repaired])).toEqual([['stale-summary', true]]);
    const rebuilt = [...(await under(c, STUDY_KIND)), ...(await under(c, SERIES_KIND))];
    const fields = (records: ModelRecord[]) =>
      records.map(({ key, data: { created: _c, updated: _u, ...rest } }) => ({ key, rest }));
    expect(fields(rebuilt)).toEqual(fields(wanted));
    expect((await c.verify()).problems).toEqual([]);
  });
});
