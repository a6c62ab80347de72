import { isSomError } from '@som/core';
import { mergeDasherResponses, splitDasherRequest } from './batch';
import type { DasherRequest, DasherRequestIdentifier } from './types';

const entity = (id: string, items: number): DasherRequestIdentifier => ({
  id,
  id_source: 'MRN',
  id_timestamp: '2000-01-01',
  items: Array.from({ length: items }, (_, i) => ({ id: `${id}-item${i}`, id_source: 'Study' })),
});

describe('splitDasherRequest', () => {
  it('splits an entity with more than 1,000 items into batches of at most 1,000', () => {
    const request: DasherRequest = { identifiers: [entity('big', 2500)] };
    const batches = splitDasherRequest(request);
    expect(batches.map((b) => b.identifiers.map((i) => [i.id, i.items.length]))).toEqual([
      [['big', 1000]],
      [['big', 1000]],
      [['big', 500]],
    ]);
    expect(batches[2]?.identifiers[0]).toMatchObject({
      id_source: 'MRN',
      id_timestamp: '2000-01-01',
    });
    const all = batches.flatMap((b) =>
      b.identifiers.flatMap((i) => i.items.map((item) => item.id)),
    );
    expect(all).toEqual(request.identifiers[0]?.items.map((item) => item.id));
  });

  it('packs many entities within the entity and item limits, never one entity twice per batch', () => {
    const identifiers = [
      ...Array.from({ length: 250 }, (_, i) => entity(`p${i}`, 1)),
      entity('none', 0),
      entity('large', 1500),
    ];
    const limits = { maxItemsPerEntity: 1000, maxItemsPerBatch: 1000, maxEntitiesPerBatch: 100 };
    const batches = splitDasherRequest({ identifiers }, limits);
    for (const batch of batches) {
      expect(batch.identifiers.length).toBeLessThanOrEqual(100);
      expect(batch.identifiers.reduce((n, i) => n + i.items.length, 0)).toBeLessThanOrEqual(1000);
      expect(new Set(batch.identifiers.map((i) => i.id)).size).toBe(batch.identifiers.length);
    }
    expect(
      batches.flatMap((b) => b.identifiers.map((i) => i.id)).filter((id) => id === 'none'),
    ).toEqual(['none']);
    const items = batches.reduce(
      (n, b) => n + b.identifiers.reduce((m, i) => m + i.items.length, 0),
      0,
    );
    expect(items).toBe(250 + 1500);
    expect(batches).toHaveLength(5); // 100 + 100 + 50(+none) entities, then 1000 + 500 items of 'large'
  });

  it('rejects nonsense limits', () => {
    let error: unknown;
    try {
      splitDasherRequest(
        { identifiers: [] },
        { maxItemsPerEntity: 0, maxItemsPerBatch: 1, maxEntitiesPerBatch: 1 },
      );
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
  });
});

describe('mergeDasherResponses', () => {
  const result = (id: string, suid: string, jitter: number, items: string[]) => ({
    id,
    id_source: 'MRN',
    suid,
    jitter,
    items: items.map((item) => ({ id: item, id_source: 'S', suid: `${item}-alias` })),
  });

  it('joins the items of an entity answered in several batches', () => {
    const merged = mergeDasherResponses([
      { results: [result('p1', 's1', 3, ['a', 'b'])] },
      { results: [result('p1', 's1', 3, ['c']), result('p2', 's2', 4, [])] },
    ]);
    expect(merged.results.map((r) => [r.id, r.items.map((i) => i.id)])).toEqual([
      ['p1', ['a', 'b', 'c']],
      ['p2', []],
    ]);
  });

  it('refuses an entity given different aliases in different batches', () => {
    expect(() =>
      mergeDasherResponses([
        { results: [result('p1', 's1', 3, [])] },
        { results: [result('p1', 's9', 3, [])] },
      ]),
    ).toThrow(
      'DASHER gave result 0 of batch 1 other aliases or jitters than an earlier batch gave its entity',
    );
    expect(() =>
      mergeDasherResponses([
        { results: [result('p1', 's1', 3, [])] },
        { results: [result('p1', 's1', 4, [])] },
      ]),
    ).toThrow('other aliases or jitters');
  });
});
