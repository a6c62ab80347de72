/**
 * JSON under `/api/`, the same arrays `som ls --json` and `som search --json` print:
 * `/api/ls`, `/api/ls/<collection>`, `/api/ls/<collection>/<entity>`, and
 * `/api/search?term=FIELD=VALUE&term=...&kind=image|entity|collection&collection=&entity=&limit=`.
 */
import type { ServerResponse } from 'node:http';
import {
  MAX_QUERY_LIMIT,
  parseSearchTerm,
  validateUid,
  type ModelRecord,
  type RecordData,
  type SearchInput,
} from '@som/core';
import { fieldType } from '@som/dicom';
import type { Context } from './context';
import { HttpError, intParam, streamJsonArray, type Request } from './http';

/** Default number of records a search returns (as `som search`). */
export const DEFAULT_SEARCH_LIMIT = 100;

/** Most records one search returns. */
export const MAX_SEARCH_LIMIT = 10_000;

/** A record as `--json` prints it: its fields, with its `uid`. */
export function recordJson(record: ModelRecord): RecordData {
  return { ...record.data, uid: record.uid };
}

async function* asJson(records: AsyncIterable<ModelRecord>): AsyncGenerator<RecordData> {
  for await (const record of records) yield recordJson(record);
}

const KINDS: Readonly<Record<string, SearchInput['kind']>> = {
  image: 'Image',
  entity: 'Entity',
  collection: 'Collection',
};

async function* searchRecords(
  ctx: Context,
  input: SearchInput,
  limit: number,
): AsyncGenerator<ModelRecord> {
  let left = limit;
  let pageToken: string | undefined;
  do {
    const page = await ctx.client.search({
      ...input,
      limit: Math.min(left, MAX_QUERY_LIMIT),
      ...(pageToken ? { pageToken } : {}),
    });
    for (const record of page.records.slice(0, left)) yield record;
    left -= Math.min(left, page.records.length);
    pageToken = page.nextPageToken;
  } while (left > 0 && pageToken !== undefined);
}

/** Answer one `/api/...` request (`segments` after `api`). */
export async function api(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  segments: readonly string[],
): Promise<void> {
  const [what, collection, entity, ...rest] = segments;
  if (what === 'ls' && rest.length === 0) {
    const { client } = ctx;
    // A collection or entity that does not exist is 404, not an empty list.
    if (collection !== undefined && entity === undefined) await client.getCollection(collection);
    if (collection !== undefined && entity !== undefined)
      await client.getEntity({ collection, entity });
    const records =
      collection === undefined
        ? client.listCollections()
        : entity === undefined
          ? client.listEntities(collection)
          : client.listImages({ collection, entity });
    return streamJsonArray(req, res, asJson(records));
  }
  if (what === 'search' && collection === undefined) {
    const q = req.query;
    const kind = KINDS[(q.get('kind') ?? 'image').toLowerCase()];
    if (kind === undefined)
      throw new HttpError(400, 'InvalidArgument', 'kind must be image, entity or collection');
    const limit = intParam(q, 'limit', DEFAULT_SEARCH_LIMIT, 1, MAX_SEARCH_LIMIT);
    const filters = q.getAll('term').map((term) => parseSearchTerm(term, fieldType));
    const within = q.get('collection');
    const inEntity = q.get('entity');
    const input: SearchInput = {
      kind,
      filters,
      ...(within !== null ? { collection: validateUid('collection', within) } : {}),
      ...(inEntity !== null ? { entity: validateUid('entity', inEntity) } : {}),
    };
    return streamJsonArray(req, res, asJson(searchRecords(ctx, input, limit)));
  }
  throw new HttpError(
    404,
    'NotFound',
    'no such API: use /api/ls[/<collection>[/<entity>]] or /api/search',
  );
}
