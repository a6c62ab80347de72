/**
 * What an upload recomputes of an entity from the image records stored under it (so reruns
 * and partial runs stay right): the aggregate fields of its record (modalities, counts of
 * studies, series and images, the jittered study dates), and its Study and Series summary
 * records. Lists are stored as comma-separated strings so that they can be searched (the
 * portable query subset never matches inside arrays).
 */
import {
  refreshStudySeriesSummaries,
  type Client,
  type EntityAggregates,
  type EntityRef,
  type ImageRecord,
} from '@som/core';

/** The aggregate fields of an entity, from its image records. */
export const entityAggregates: EntityAggregates = async (records) => {
  const modalities = new Set<string>();
  const studies = new Set<string>();
  const series = new Set<string>();
  const dates = new Set<string>();
  let images = 0;
  for await (const image of records) {
    images++;
    const { Modality, StudyInstanceUID, SeriesInstanceUID, StudyDate } = image.data;
    if (typeof Modality === 'string') modalities.add(Modality);
    if (typeof StudyInstanceUID === 'string') studies.add(StudyInstanceUID);
    if (typeof SeriesInstanceUID === 'string') series.add(SeriesInstanceUID);
    if (typeof StudyDate === 'string') dates.add(StudyDate);
  }
  const sortedDates = [...dates].sort();
  return {
    Modalities: [...modalities].sort().join(','),
    NumberOfStudies: studies.size,
    NumberOfSeries: series.size,
    NumberOfImages: images,
    StudyDates: sortedDates.join(','),
    ...(sortedDates.length > 0
      ? {
          FirstStudyDate: sortedDates[0] as string,
          LastStudyDate: sortedDates[sortedDates.length - 1] as string,
        }
      : {}),
  };
};

/** The records of `images`, as an async stream. */
async function* streamOf(images: readonly ImageRecord[]): AsyncGenerator<ImageRecord> {
  yield* images;
}

/**
 * Rewrite the aggregate fields of an entity record and its Study and Series summary records
 * from its image records, read once (each a no-op when unchanged).
 */
export async function refreshEntitySummary(client: Client, ref: EntityRef): Promise<void> {
  const images: ImageRecord[] = [];
  for await (const image of client.listImages(ref)) images.push(image);
  await client.createEntity({
    collection: ref.collection,
    uid: ref.entity,
    metadata: await entityAggregates(streamOf(images)),
  });
  await refreshStudySeriesSummaries(client, ref, { images });
}
