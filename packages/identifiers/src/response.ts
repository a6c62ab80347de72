/**
 * Validation of DASHER responses, whether read from a `--ids` file or received from the
 * service. Every problem is collected and reported together, one per line, naming the result
 * and item by their positions: ids are original identifiers, never shown.
 */
import { readFile } from 'node:fs/promises';
import { isJsonObject, isValidUid, parseJson, SomError } from '@som/core';
import { fileReadError } from './files';
import { isIsoTimestamp } from './timestamp';
import type {
  DasherRequest,
  DasherResponse,
  DasherResponseItem,
  DasherResponseResult,
} from './types';

/** The largest jitter (in days, either sign) a response may carry: 100 years. */
export const MAX_JITTER_DAYS = 36_525;

/** At most this many problems are spelled out in an error message; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 50;

/**
 * A DASHER response that failed validation: code InvalidArgument, a message listing the
 * problems one per line, and every problem in {@link InvalidDasherResponseError.problems}.
 * Problems name results and items by their positions (from 0), never by their ids.
 */
export class InvalidDasherResponseError extends SomError {
  /** Where the response came from: a file path or a service URL. */
  readonly source: string;
  /** Every problem found, one sentence each. */
  readonly problems: readonly string[];

  /**
   * @param source where the response came from.
   * @param problems what is wrong with it (at least one).
   */
  constructor(source: string, problems: readonly string[]) {
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
    const more = problems.length - shown.length;
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = shown.map((p) => `  - ${p}`);
    if (more > 0) lines.push(`  ... and ${more} more`);
    super('InvalidArgument', `invalid DASHER response ${source}: ${count}:\n${lines.join('\n')}`);
    this.name = 'InvalidDasherResponseError';
    this.source = source;
    this.problems = [...problems];
  }
}

/**
 * A jitter as a whole number of days: a JSON integer, or a string of one (`"5"`, `"-3"`),
 * as some DASHER deployments write it; undefined for anything else.
 */
function jitterDays(jitter: unknown): number | undefined {
  if (typeof jitter === 'number') return Number.isInteger(jitter) ? jitter : undefined;
  if (typeof jitter === 'string' && /^\s*[+-]?\d+\s*$/.test(jitter)) return Number(jitter);
  return undefined;
}

/** Checks shared by results and items; returns the normalised fields or undefined. */
function checkAlias(
  raw: Record<string, unknown>,
  where: string,
  jitterRequired: boolean,
  problems: string[],
): DasherResponseItem | undefined {
  const before = problems.length;
  const { suid, jitter, id_source: idSource, jittered_timestamp: jittered } = raw;
  if (suid === undefined || suid === null || suid === '') problems.push(`${where}: missing suid`);
  else if (typeof suid !== 'string') problems.push(`${where}: suid is not a string`);
  else if (!isValidUid(suid))
    problems.push(`${where}: suid is not a valid uid (1-128 of A-Z a-z 0-9 . _ -)`);
  const days = jitterDays(jitter);
  if (jitter === undefined || jitter === null) {
    if (jitterRequired) problems.push(`${where}: missing jitter`);
  } else if (days === undefined) {
    problems.push(`${where}: jitter is not a whole number of days`);
  } else if (Math.abs(days) > MAX_JITTER_DAYS) {
    problems.push(`${where}: jitter ${days} is more than ${MAX_JITTER_DAYS} days`);
  }
  if (idSource !== undefined && typeof idSource !== 'string')
    problems.push(`${where}: id_source is not a string`);
  // A blank jittered_timestamp is none (the answer for an item sent without id_timestamp).
  const timestamp = typeof jittered === 'string' ? jittered.trim() : jittered;
  if (timestamp !== undefined && timestamp !== null && timestamp !== '') {
    if (typeof timestamp !== 'string')
      problems.push(`${where}: jittered_timestamp is not a string`);
    else if (!isIsoTimestamp(timestamp)) {
      problems.push(
        `${where}: jittered_timestamp is not an ISO 8601 date or date-time (e.g. 2010-02-09T11:50:00-0800)`,
      );
    }
  }
  if (problems.length > before) return undefined;
  const out: DasherResponseItem = {
    id: raw.id as string,
    id_source: (idSource as string | undefined) ?? '',
    suid: suid as string,
  };
  if (days !== undefined) out.jitter = days;
  if (typeof timestamp === 'string' && timestamp !== '') out.jittered_timestamp = timestamp;
  return out;
}

function idOf(raw: unknown): string | undefined {
  return isJsonObject(raw) && typeof raw.id === 'string' && raw.id !== '' ? raw.id : undefined;
}

/** Check a result's items; every item id met (valid or not) is added to `ids` with its position. */
function checkItems(
  rawItems: unknown,
  entityWhere: string,
  problems: string[],
  ids: Map<string, number>,
): DasherResponseItem[] {
  if (rawItems === undefined || rawItems === null) return [];
  if (!Array.isArray(rawItems)) {
    problems.push(`${entityWhere}: items is not a list`);
    return [];
  }
  const items: DasherResponseItem[] = [];
  const seen = new Map<string, number>();
  rawItems.forEach((raw: unknown, index) => {
    const id = idOf(raw);
    if (id === undefined || !isJsonObject(raw)) {
      problems.push(`${entityWhere} item ${index}: missing id`);
      return;
    }
    const where = `${entityWhere} item ${index}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(`${where}: the same id as item ${first}`);
      return;
    }
    seen.set(id, index);
    ids.set(id, index);
    const item = checkAlias(raw, where, false, problems);
    if (item !== undefined) items.push(item);
  });
  return items;
}

/** The ids a response answered: per result id, its position and its items' ids with theirs. */
type Answered = Map<string, { index: number; items: Map<string, number> }>;

/**
 * Problems of the answered ids (whether or not they were valid) against the identifiers
 * and items of `request`, each named by its position in the response or the request.
 */
function checkAgainstRequest(answered: Answered, request: DasherRequest, problems: string[]): void {
  const requested = new Map<string, { index: number; items: Map<string, number> }>();
  request.identifiers.forEach((identifier, index) => {
    const entry = requested.get(identifier.id) ?? { index, items: new Map<string, number>() };
    (identifier.items ?? []).forEach((item, i) => {
      if (!entry.items.has(item.id)) entry.items.set(item.id, i);
    });
    requested.set(identifier.id, entry);
  });
  for (const [id, result] of answered) {
    const wanted = requested.get(id);
    if (wanted === undefined) {
      problems.push(`result ${result.index}: its id is not in the request`);
      continue;
    }
    for (const [itemId, i] of result.items) {
      if (!wanted.items.has(itemId))
        problems.push(`result ${result.index} item ${i}: its id is not in the request`);
    }
    for (const [itemId, i] of wanted.items) {
      if (!result.items.has(itemId))
        problems.push(
          `result ${result.index}: no result for item ${i} of identifier ${wanted.index} of the request`,
        );
    }
  }
  for (const [id, wanted] of requested) {
    if (!answered.has(id)) problems.push(`no result for identifier ${wanted.index} of the request`);
  }
}

/**
 * Validate a DASHER response and return a normalised copy (known fields only, `items`
 * always a list, `id_source` always a string). Accepts `{"results": [...]}` and, as the
 * original Python client returned it, a bare list of results.
 *
 * Checks: every result and item has an `id` and a `suid` that is a valid uid; a result's
 * `jitter` is a whole number of days (an item's, when present, too); no duplicate result
 * ids, nor item ids within a result. With `request`: every result id and item id was
 * requested, and every requested entity and item has a result.
 *
 * @param json the parsed JSON.
 * @param source names the response in errors (a file path or a URL).
 * @param request the request the response answers, when known.
 * @throws InvalidDasherResponseError (a SomError, code InvalidArgument) listing every problem,
 *   one per line, each naming the result or item concerned by its position.
 */
export function parseDasherResponse(
  json: unknown,
  source: string,
  request?: DasherRequest,
): DasherResponse {
  const rawResults: unknown = Array.isArray(json)
    ? json
    : isJsonObject(json)
      ? json.results
      : undefined;
  if (!Array.isArray(rawResults)) {
    throw new InvalidDasherResponseError(source, ['expected an object with a "results" list']);
  }
  const problems: string[] = [];
  const results: DasherResponseResult[] = [];
  const seen = new Map<string, number>();
  const answered: Answered = new Map();
  rawResults.forEach((raw: unknown, index) => {
    const id = idOf(raw);
    if (id === undefined || !isJsonObject(raw)) {
      problems.push(`result ${index}: missing id`);
      return;
    }
    const where = `result ${index}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(`${where}: the same id as result ${first}`);
      return;
    }
    seen.set(id, index);
    const itemIds = new Map<string, number>();
    answered.set(id, { index, items: itemIds });
    const alias = checkAlias(raw, where, true, problems);
    const items = checkItems(raw.items, where, problems, itemIds);
    if (alias !== undefined) results.push({ ...alias, jitter: alias.jitter as number, items });
  });
  if (request !== undefined) checkAgainstRequest(answered, request, problems);
  if (problems.length > 0) throw new InvalidDasherResponseError(source, problems);
  return { results };
}

/**
 * Read and validate a DASHER response file (the `--ids` option).
 * @param path the file.
 * @param request the request it should answer, when known (see {@link parseDasherResponse}).
 * @throws SomError NotFound (no such file), PermissionDenied (unreadable), InvalidArgument
 *   (a directory, empty, not JSON, or invalid; the message names the path).
 */
export async function readDasherResponseFile(
  path: string,
  request?: DasherRequest,
): Promise<DasherResponse> {
  const what = 'DASHER response file';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fileReadError(path, what, err);
  }
  return parseDasherResponse(parseJson(text, `${what} ${path}`), path, request);
}
