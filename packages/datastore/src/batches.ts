/**
 * Splitting writes into commits Datastore accepts: at most {@link MAX_MUTATIONS} mutations,
 * and at most {@link MAX_ENTITY_GROUPS} entity groups (root keys) per transaction (the
 * limit of Datastore's legacy mode and of the emulator; Firestore in Datastore mode has none).
 */
import type { KeyPath } from '@som/core';

/** Most mutations in one commit. */
export const MAX_MUTATIONS = 500;

/** Most entity groups one transaction may touch. */
export const MAX_ENTITY_GROUPS = 25;

/** Split `items` (in order) into batches within both limits; `keyOf` gives each item's key path. */
export function commitBatches<T>(items: readonly T[], keyOf: (item: T) => KeyPath): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let groups = new Set<string>();
  for (const item of items) {
    const key = keyOf(item);
    const group = `${key[0]}\u0000${key[1]}`;
    const newGroup = !groups.has(group);
    if (batch.length === MAX_MUTATIONS || (newGroup && groups.size === MAX_ENTITY_GROUPS)) {
      batches.push(batch);
      batch = [];
      groups = new Set();
    }
    batch.push(item);
    groups.add(group);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
