/**
 * The aggregate fields of an entity record, recomputed from the image records stored under
 * it (so reruns and partial runs stay right): modalities, counts of studies, series and
 * images, and the (jittered) study dates. Lists are stored as comma-separated strings so
 * that they can be searched (the portable query subset never matches inside arrays).
 */
import type { Client, EntityAggregates, EntityRef } from '@som/core';

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

/** Rewrite the aggregate fields of an entity record (a no-op when they are unchanged). */
export async function refreshEntitySummary(client: Client, ref: EntityRef): Promise<void> {
  await client.createEntity({
    collection: ref.collection,
    uid: ref.entity,
    metadata: await entityAggregates(client.listImages(ref)),
  });
}
