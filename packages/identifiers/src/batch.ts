/**
 * Splitting a large DASHER request into batches the service accepts, and merging the
 * answers back into one response.
 */
import { SomError } from '@som/core';
import type {
  DasherRequest,
  DasherRequestIdentifier,
  DasherResponse,
  DasherResponseResult,
} from './types';

/** How large one request to DASHER may be. */
export interface BatchLimits {
  /** Items of one entity in one request (DASHER accepts at most 1,000). */
  maxItemsPerEntity: number;
  /** Items of all entities in one request. */
  maxItemsPerBatch: number;
  /** Entities in one request. */
  maxEntitiesPerBatch: number;
}

/** The defaults: 1,000 items per entity and per request, 100 entities per request. */
export const DEFAULT_BATCH_LIMITS: Readonly<BatchLimits> = Object.freeze({
  maxItemsPerEntity: 1000,
  maxItemsPerBatch: 1000,
  maxEntitiesPerBatch: 100,
});

/**
 * Split `request` into requests within `limits`. An entity with more items than fit is
 * sent in several batches (its fields repeated, its items divided); one batch never holds
 * the same entity twice. Entities with no items are kept (they still need an alias).
 * Order is kept. `request` should be normalised (no repeated ids).
 */
export function splitDasherRequest(
  request: DasherRequest,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): DasherRequest[] {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new SomError(
        'InvalidArgument',
        `batch limit ${name} must be a positive whole number, not ${String(value)}`,
      );
    }
  }
  const perChunk = Math.min(limits.maxItemsPerEntity, limits.maxItemsPerBatch);
  const chunks: DasherRequestIdentifier[] = [];
  for (const identifier of request.identifiers) {
    const items = identifier.items ?? [];
    if (items.length === 0) chunks.push({ ...identifier, items: [] });
    for (let start = 0; start < items.length; start += perChunk) {
      chunks.push({ ...identifier, items: items.slice(start, start + perChunk) });
    }
  }
  const batches: DasherRequest[] = [];
  let current: DasherRequestIdentifier[] = [];
  let ids = new Set<string>();
  let itemCount = 0;
  for (const chunk of chunks) {
    const full =
      ids.has(chunk.id) ||
      current.length + 1 > limits.maxEntitiesPerBatch ||
      itemCount + chunk.items.length > limits.maxItemsPerBatch;
    if (full && current.length > 0) {
      batches.push({ identifiers: current });
      current = [];
      ids = new Set();
      itemCount = 0;
    }
    current.push(chunk);
    ids.add(chunk.id);
    itemCount += chunk.items.length;
  }
  if (current.length > 0) batches.push({ identifiers: current });
  return batches;
}

/**
 * Merge the (validated) responses to the batches of one request: an entity answered in
 * several batches becomes one result with all its items.
 * @throws SomError InvalidArgument when batches give one entity different suids or jitters
 *   (its aliases would be ambiguous).
 */
export function mergeDasherResponses(responses: readonly DasherResponse[]): DasherResponse {
  const merged = new Map<string, DasherResponseResult>();
  responses.forEach((response, batch) => {
    response.results.forEach((result, index) => {
      const seen = merged.get(result.id);
      if (seen === undefined) {
        merged.set(result.id, { ...result, items: [...result.items] });
        return;
      }
      if (seen.suid !== result.suid || seen.jitter !== result.jitter) {
        throw new SomError(
          'InvalidArgument',
          `DASHER gave result ${index} of batch ${batch} other aliases or jitters than an earlier batch gave its entity`,
        );
      }
      seen.items.push(...result.items);
    });
  });
  return { results: [...merged.values()] };
}
