/**
 * Removing from a dataset: one image, one entity with its images, or a whole collection.
 * Objects go first, records second (as uploads write them the other way round, a crash in
 * between leaves only records without objects, which `verify --repair` removes).
 */
import type { Client, ImageRef } from '@som/core';
import { refreshEntitySummary } from './4-store/entity-summary';

/** What to remove: a collection, an entity of it, or an image of that entity. */
export interface RemoveTarget {
  collection: string;
  entity?: string;
  image?: string;
}

/** What a removal removed (or, as a dry run, would remove). */
export interface Removal {
  /** Entity records (with their study and series summaries). */
  entities: number;
  /** Images: their objects and records. */
  images: number;
}

/** Options of {@link removeFromDataset}. */
export interface RemoveOptions {
  /** Count what would be removed; remove nothing. */
  dryRun?: boolean;
}

async function count<T>(items: AsyncIterable<T>): Promise<number> {
  let n = 0;
  for await (const _item of items) n++;
  return n;
}

/**
 * Remove `target` from the stores of `client`: an image (then its entity's aggregates are
 * recomputed), an entity (its objects, then its image, study and series records, then its
 * record), or a collection (every object under it, then every record under it, then its
 * record).
 * @throws SomError NotFound when the target does not exist (nothing is removed then).
 */
export async function removeFromDataset(
  client: Client,
  target: RemoveTarget,
  options: RemoveOptions = {},
): Promise<Removal> {
  const { collection, entity, image } = target;
  if (entity === undefined) {
    await client.getCollection(collection);
    let images = 0;
    let entities = 0;
    for await (const record of client.listEntities(collection)) {
      entities++;
      images += await count(client.listImages({ collection, entity: record.uid }));
    }
    if (options.dryRun !== true) await client.deleteCollection(collection);
    return { entities, images };
  }
  const ref = { collection, entity };
  if (image === undefined) {
    await client.getEntity(ref);
    const images = await count(client.listImages(ref));
    if (options.dryRun !== true) await client.deleteEntity(ref);
    return { entities: 1, images };
  }
  const imageRef: ImageRef = { ...ref, image };
  await client.getImage(imageRef);
  if (options.dryRun !== true) {
    await client.deleteImage(imageRef);
    await refreshEntitySummary(client, ref);
  }
  return { entities: 0, images: 1 };
}
