import { entityKey, seriesKey, studyKey, toModelRecord, type Client } from '@som/core';
import { COLLECTION, testClient } from './__tests__/dataset';
import { refreshStudySeriesSummaries, SERIES_KIND, STUDY_KIND } from './summaries';

const alice = { collection: COLLECTION, entity: 'alice' };

async function under(client: Client, kind: string) {
  const out = [];
  for await (const r of client.records.queryAll({ kind, ancestor: entityKey(alice), limit: 100 }))
    out.push(toModelRecord(r));
  return out;
}

describe('study and series summaries', () => {
  let client: Client;
  beforeEach(async () => {
    client = await testClient();
  });
  afterEach(() => client.close());

  it('writes one Study record per study and one Series record per series, under the entity', async () => {
    const studies = await under(client, STUDY_KIND);
    expect(studies.map((s) => s.uid)).toEqual(['1.2.826.1.1', '1.2.826.1.2']);
    expect(studies[0]?.key).toEqual(studyKey(alice, '1.2.826.1.1'));
    expect(studies[0]).toMatchObject({ collection: COLLECTION, entity: 'alice' });
    expect(studies[0]?.data).toMatchObject({
      StudyInstanceUID: '1.2.826.1.1',
      StudyDate: '20200102',
      PatientID: 'P1',
      ModalitiesInStudy: 'CT,US',
      NumberOfStudyRelatedSeries: 2,
      NumberOfStudyRelatedInstances: 4,
    });
    const series = await under(client, SERIES_KIND);
    expect(series.map((s) => s.uid)).toEqual(['1.2.826.1.1.1', '1.2.826.1.1.2', '1.2.826.1.2.1']);
    expect(series[0]?.key).toEqual(seriesKey(alice, '1.2.826.1.1.1'));
    const ct2 = await client.getImage({ ...alice, image: 'ct2' });
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
    expect(await refreshStudySeriesSummaries(client, alice)).toEqual({ written: 0, deleted: 0 });
    await client.deleteImage({ ...alice, image: 'burned' });
    await client.deleteImage({ ...alice, image: 'ct3' });
    expect(await refreshStudySeriesSummaries(client, alice)).toEqual({ written: 2, deleted: 2 });
    expect((await under(client, STUDY_KIND)).map((s) => s.uid)).toEqual(['1.2.826.1.1']);
    const [ctSeries] = await under(client, SERIES_KIND);
    expect(ctSeries?.data).toMatchObject({ NumberOfSeriesRelatedInstances: 2, MiddleImage: 'ct1' });
  });

  it('keeps the created time of a summary it rewrites', async () => {
    const [before] = await under(client, STUDY_KIND);
    await client.deleteImage({ ...alice, image: 'ct1' });
    await refreshStudySeriesSummaries(client, alice, () => new Date('2030-01-01T00:00:00Z'));
    const [after] = await under(client, STUDY_KIND);
    expect(after?.data.created).toBe(before?.data.created);
    expect(after?.data.updated).toBe('2030-01-01T00:00:00.000Z');
  });

  it('deleting the entity deletes its summaries', async () => {
    await client.deleteEntity(alice);
    expect(await under(client, STUDY_KIND)).toEqual([]);
    expect(await under(client, SERIES_KIND)).toEqual([]);
  });
});
