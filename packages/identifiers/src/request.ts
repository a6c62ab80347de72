/**
 * Checking and normalising a DASHER request before it is answered: every alias source
 * answers one result per distinct entity id, with each distinct item id once.
 */
import { isJsonObject, SomError } from '@som/core';
import type { DasherRequest, DasherRequestIdentifier, DasherRequestItem } from './types';

function checkItemShape(
  value: unknown,
  where: string,
  problems: string[],
): value is DasherRequestItem {
  if (!isJsonObject(value)) {
    problems.push(`${where} is not an object`);
    return false;
  }
  let ok = true;
  if (typeof value.id !== 'string' || value.id === '') {
    problems.push(`${where} has no id (a non-empty string)`);
    ok = false;
  }
  if (value.id_source !== undefined && typeof value.id_source !== 'string') {
    problems.push(`${where}: id_source is not a string`);
    ok = false;
  }
  if (value.id_timestamp !== undefined && typeof value.id_timestamp !== 'string') {
    problems.push(`${where}: id_timestamp is not a string`);
    ok = false;
  }
  return ok;
}

function copyItem(item: DasherRequestItem): DasherRequestItem {
  const out: DasherRequestItem = { id: item.id, id_source: item.id_source ?? '' };
  if (item.id_timestamp !== undefined) out.id_timestamp = item.id_timestamp;
  if (item.custom_fields !== undefined) out.custom_fields = { ...item.custom_fields };
  return out;
}

/**
 * Check the shape of a DASHER request and return a normalised copy: entities with the same
 * id are merged into one (the first one's fields win), an item id repeated within an
 * entity is kept once, a missing `items` list or `id_source` becomes empty.
 * @throws SomError InvalidArgument listing every shape problem, one per line, each naming
 *   the identifier or item by its position (never its id).
 */
export function normaliseDasherRequest(request: unknown): DasherRequest {
  if (!isJsonObject(request) || !Array.isArray(request.identifiers)) {
    throw new SomError(
      'InvalidArgument',
      'invalid DASHER request: expected an object with an "identifiers" list',
    );
  }
  const problems: string[] = [];
  const byId = new Map<string, { identifier: DasherRequestIdentifier; itemIds: Set<string> }>();
  request.identifiers.forEach((raw: unknown, index: number) => {
    const where = `identifiers[${index}]`;
    if (!checkItemShape(raw, where, problems)) return;
    const rawItems: unknown = (raw as unknown as Record<string, unknown>).items;
    if (rawItems !== undefined && !Array.isArray(rawItems)) {
      problems.push(`${where}: items is not a list`);
      return;
    }
    let entry = byId.get(raw.id);
    if (entry === undefined) {
      entry = { identifier: { ...copyItem(raw), items: [] }, itemIds: new Set() };
      byId.set(raw.id, entry);
    }
    ((rawItems ?? []) as unknown[]).forEach((item, itemIndex) => {
      const itemWhere = `${where}.items[${itemIndex}]`;
      if (!checkItemShape(item, itemWhere, problems)) return;
      if (entry.itemIds.has(item.id)) return;
      entry.itemIds.add(item.id);
      entry.identifier.items.push(copyItem(item));
    });
  });
  if (problems.length > 0) {
    throw new SomError('InvalidArgument', `invalid DASHER request:\n${problems.join('\n')}`);
  }
  return { identifiers: [...byId.values()].map((entry) => entry.identifier) };
}
