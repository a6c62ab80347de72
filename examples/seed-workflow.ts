// The workflow step by step, as a program: create the collection IRB41449, de-identify a
// folder of studies, upload the dataset of one entity (its images and the metadata that
// answers "how would someone search for, and then find it?"), and search for it.
// Run in a directory holding `studies/`; the stores are those of som.config.json / SOM_*
// there, else ./som-data. Prints what it found, as JSON.
import { join } from 'node:path';
import type { FileReport } from '@som/publish';
import { deidentifyTree, openClient } from '@som/publish';

const collection = 'IRB41449';
const client = await openClient();
try {
  await client.createCollection({ uid: collection, metadata: { title: 'Cookie tumours' } });

  // De-identify into deid/: each file is reported with its entity (the patient's alias).
  const files: FileReport[] = [];
  const summary = await deidentifyTree(['studies/'], {
    out: 'deid/',
    secret: process.env.SOM_SECRET,
    onFile: (entry) => files.push(entry),
  });
  if (summary.failed > 0) console.error(`${summary.failed} files could not be de-identified`);

  // One entity with its images and metadata is a dataset.
  const written = files.filter((file) => file.output !== undefined && file.entity !== undefined);
  const entity = written[0]?.entity;
  if (entity === undefined) throw new Error('nothing was de-identified');
  const metadata = { source_id: 'cookieTumorDatabase', id: entity, Modality: 'cookie' };
  const upload = await client.uploadDataset({
    collection,
    uid: entity,
    images: written
      .filter((file) => file.entity === entity)
      .map((file) => join('deid', file.output as string)),
    metadata,
  });

  // Find it again: the entity by its metadata, then its images.
  const found = await client.search({
    kind: 'Entity',
    filters: [{ field: 'source_id', op: '=', value: 'cookieTumorDatabase' }],
  });
  const images = [];
  for await (const record of client.searchAll({ collection, entity })) images.push(record.uid);
  console.log(
    JSON.stringify({
      entity,
      uploaded: upload.counts.uploaded,
      entities: found.records.map((record) => record.uid),
      images: images.length,
    }),
  );
} finally {
  await client.close();
}
