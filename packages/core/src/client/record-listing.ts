/**
 * The record listings `som ls` and `som search` print and `som serve` answers under `/api`:
 * one implementation, so that the two give the same records in the same order.
 */
import { SomError } from '../errors';
import type { RecordData } from '../metadata-store/driver';
import { MAX_QUERY_LIMIT } from '../metadata-store/metadata-store';
import type { ModelRecord } from '../model';
import type { Client, SearchInput } from './client';

/** A record as `--json` prints it: its fields, with its `uid`. */
export function recordJson(record: ModelRecord): RecordData {
  return { ...record.data, uid: record.uid };
}

/** What to list: the collections, the entities of `collection`, or the images of `entity` in it. */
export interface ListingInput {
  collection?: string;
  /** Needs `collection`. */
  entity?: string;
}

/**
 * The collections, the entities of a collection, or the image records of an entity.
 * @throws SomError NotFound for a collection or entity that does not exist (not an empty list).
 */
export async function listRecords(
  client: Client,
  input: ListingInput,
): Promise<AsyncIterable<ModelRecord>> {
  const { collection, entity } = input;
  if (collection === undefined) {
    if (entity !== undefined)
      throw new SomError('InvalidArgument', 'listing the images of an entity needs its collection');
    return client.listCollections();
  }
  if (entity === undefined) {
    await client.getCollection(collection);
    return client.listEntities(collection);
  }
  await client.getEntity({ collection, entity });
  return client.listImages({ collection, entity });
}

/** Default number of records a search gives (`som search`, `/api/search`). */
export const DEFAULT_SEARCH_LIMIT = 100;

/** The record kinds a search can look for, by the names users type. */
const SEARCH_KINDS: Readonly<Record<string, NonNullable<SearchInput['kind']>>> = {
  image: 'Image',
  entity: 'Entity',
  collection: 'Collection',
};

/**
 * The record kind a user's `kind` names (`image`, `entity`, `collection`, any case).
 * @throws SomError InvalidArgument naming the value.
 */
export function searchKind(name: string): NonNullable<SearchInput['kind']> {
  const kind = SEARCH_KINDS[name.toLowerCase()];
  if (kind === undefined)
    throw new SomError(
      'InvalidArgument',
      `kind must be image, entity or collection, not ${JSON.stringify(name)}`,
    );
  return kind;
}

/**
 * Up to `limit` records a search finds, page after page, as they arrive; once they are
 * read, {@link more} tells whether other records match too.
 */
export class SearchResults implements AsyncIterable<ModelRecord> {
  /** The page after the last record given, if the search has one. */
  #next: string | undefined;

  /**
   * @param client where to search.
   * @param input the search (its `limit` and `pageToken` are this listing's own).
   * @param limit the most records to give.
   */
  constructor(
    private readonly client: Client,
    private readonly input: Omit<SearchInput, 'limit' | 'pageToken'>,
    private readonly limit: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<ModelRecord> {
    let left = this.limit;
    let pageToken: string | undefined;
    do {
      const page = await this.client.search({
        ...this.input,
        limit: Math.min(left, MAX_QUERY_LIMIT),
        ...(pageToken ? { pageToken } : {}),
      });
      for (const record of page.records.slice(0, left)) yield record;
      left -= Math.min(left, page.records.length);
      pageToken = page.nextPageToken;
    } while (left > 0 && pageToken !== undefined);
    this.#next = pageToken;
  }

  /** True when more records match than were given (ask once every record was read). */
  async more(): Promise<boolean> {
    if (this.#next === undefined) return false;
    const next = await this.client.search({ ...this.input, limit: 1, pageToken: this.#next });
    return next.records.length > 0;
  }
}
