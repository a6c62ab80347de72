/**
 * One key per collection: what a collection's record remembers about how its aliases and
 * remapped UIDs were made (the key's fingerprint and the kind of alias source), and the
 * check that a new upload makes them the same way. Another key or source would put every
 * patient in the collection a second time, under new aliases.
 */
import { SomError } from '@som/core';
import type { PseudonymKey } from './keyed';
import { SecretKey } from './secret';
import type { AliasSourceKind } from './types';

/** How a collection's aliases are made: the fields its record stores. */
export interface CollectionKeyStamp {
  /** {@link keyFingerprint} of the pseudonymisation key (it also remaps UIDs). */
  readonly keyFingerprint: string;
  /** Where the aliases come from. */
  readonly aliasSource: AliasSourceKind;
}

/**
 * The public fingerprint of a pseudonymisation key: 8 hex characters, the first 32 bits of
 * an HMAC-SHA256 of a fixed label under the key (the {@link SecretKey.fingerprint} logs
 * show). It tells keys apart (two keys share one with odds of 1 in 4.3 billion) and
 * never shows the key: an HMAC cannot be inverted, and 32 bits cannot single out one
 * key among the 2^128 or more a random key of the required length may be.
 */
export function keyFingerprint(key: PseudonymKey): string {
  return SecretKey.from(key).fingerprint;
}

/** The stamp of a collection made with `key` and aliases of `aliasSource`. */
export function collectionKeyStamp(
  key: PseudonymKey,
  aliasSource: AliasSourceKind,
): CollectionKeyStamp {
  return { keyFingerprint: keyFingerprint(key), aliasSource };
}

/** What differs between a collection's stamp and a run's. */
export type CollectionKeyDifference = 'key' | 'alias-source';

const SOURCE_NAMES: Readonly<Record<AliasSourceKind, string>> = {
  dasher: 'DASHER',
  local: 'the local pseudonymiser',
};

const describeSource = (kind: unknown): string =>
  typeof kind === 'string' && kind in SOURCE_NAMES
    ? SOURCE_NAMES[kind as AliasSourceKind]
    : 'an unknown alias source';

/**
 * A run would add to a collection with another key or alias source than the collection
 * was made with: code FailedPrecondition. The message names the collection and both
 * fingerprints or sources, never a key.
 */
export class CollectionKeyMismatchError extends SomError {
  /** The collection. */
  readonly collection: string;
  /** What differs. */
  readonly difference: CollectionKeyDifference;

  /**
   * @param collection the collection.
   * @param difference what differs.
   * @param stored what the collection's record holds.
   * @param current what this run uses.
   */
  constructor(
    collection: string,
    difference: CollectionKeyDifference,
    stored: { keyFingerprint?: unknown; aliasSource?: unknown },
    current: CollectionKeyStamp,
  ) {
    const what =
      difference === 'key'
        ? `the pseudonymisation key of fingerprint ${String(stored.keyFingerprint).slice(0, 16)} and this run's key has fingerprint ${current.keyFingerprint}`
        : `aliases from ${describeSource(stored.aliasSource)} and this run's come from ${describeSource(current.aliasSource)}`;
    super(
      'FailedPrecondition',
      `collection ${JSON.stringify(collection)} was made with ${what}: adding to it would give its patients new aliases and store them a second time`,
    );
    this.name = 'CollectionKeyMismatchError';
    this.collection = collection;
    this.difference = difference;
  }
}

/**
 * Check that a run with `current` may add to `collection`, whose record holds `stored`
 * (its fields as read; either may be missing or null).
 * @returns `same` when the record holds both fields and they match; `unrecorded` when it
 *   lacks one or both (a collection made before they were recorded) and the ones it has
 *   match: the caller should then record `current`.
 * @throws CollectionKeyMismatchError when a recorded field differs (or is not a valid value).
 */
export function checkCollectionKey(
  collection: string,
  stored: { keyFingerprint?: unknown; aliasSource?: unknown },
  current: CollectionKeyStamp,
): 'same' | 'unrecorded' {
  // A store may give a missing field as null.
  const fingerprint = stored.keyFingerprint ?? undefined;
  const aliasSource = stored.aliasSource ?? undefined;
  if (fingerprint !== undefined && fingerprint !== current.keyFingerprint) {
    throw new CollectionKeyMismatchError(collection, 'key', stored, current);
  }
  if (aliasSource !== undefined && aliasSource !== current.aliasSource) {
    throw new CollectionKeyMismatchError(collection, 'alias-source', stored, current);
  }
  return fingerprint === undefined || aliasSource === undefined ? 'unrecorded' : 'same';
}
