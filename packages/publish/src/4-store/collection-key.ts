/**
 * One key per collection: before anything is stored, a run checks that the collection was
 * made with the same pseudonymisation key and kind of alias source (another would give its
 * patients new aliases and store them a second time), and records them on the collection
 * record when it is new (or lacks them, or the caller accepts the new key).
 */
import { collectionKey, type Client } from '@som/core';
import { checkCollectionKey, type CollectionKeyStamp } from '@som/identifiers';

/**
 * Check `stamp` against the record of `collection` and write it there when the record is
 * missing, lacks it, or `acceptNew` is set.
 * @throws CollectionKeyMismatchError (FailedPrecondition) when the collection was made with
 *   another key or alias source and `acceptNew` is not set; nothing is written then.
 */
export async function claimCollection(
  client: Client,
  collection: string,
  stamp: CollectionKeyStamp,
  acceptNew: boolean,
): Promise<void> {
  const record = await client.records.get(collectionKey(collection));
  if (record !== undefined && !acceptNew) {
    const { keyFingerprint, aliasSource } = record.data;
    if (checkCollectionKey(collection, { keyFingerprint, aliasSource }, stamp) === 'same') return;
  }
  await client.createCollection({ uid: collection, metadata: { ...stamp } });
}
