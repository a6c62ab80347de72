/**
 * JSON under `/api/`, the same arrays `som ls --json` and `som search --json` print:
 * `/api/ls`, `/api/ls/<collection>`, `/api/ls/<collection>/<entity>`, and
 * `/api/search?term=FIELD=VALUE&term=...&kind=image|entity|collection&collection=&entity=&limit=`.
 */
import type { ServerResponse } from 'node:http';
import {
  DEFAULT_SEARCH_LIMIT,
  SearchResults,
  listRecords,
  parseSearchTerm,
  recordJson,
  searchKind,
  validateUid,
  type ModelRecord,
  type RecordData,
  type SearchInput,
} from '@som/core';
import { fieldType } from '@som/dicom';
import type { Context } from './context';
import { HttpError, intParam, streamJsonArray, type Request } from './http';

/** Most records one search returns. */
export const MAX_SEARCH_LIMIT = 10_000;

async function* asJson(records: AsyncIterable<ModelRecord>): AsyncGenerator<RecordData> {
  for await (const record of records) yield recordJson(record);
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
    const records = await listRecords(ctx.client, {
      ...(collection !== undefined ? { collection } : {}),
      ...(entity !== undefined ? { entity } : {}),
    });
    return streamJsonArray(req, res, asJson(records));
  }
  if (what === 'search' && collection === undefined) {
    const q = req.query;
    const kind = searchKind(q.get('kind') ?? 'image');
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
    return streamJsonArray(req, res, asJson(new SearchResults(ctx.client, input, limit)));
  }
  throw new HttpError(
    404,
    'NotFound',
    'no such API: use /api/ls[/<collection>[/<entity>]] or /api/search',
  );
}
