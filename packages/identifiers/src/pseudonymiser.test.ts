import { inspect } from 'node:util';
import { isSomError } from '@som/core';
import { AliasTable } from './alias-table';
import { ALIAS_LENGTH, DEFAULT_JITTER_DAYS, LocalPseudonymiser } from './pseudonymiser';
import { parseDasherResponse } from './response';
import { SecretKey } from './secret';
import type { DasherRequest } from './types';

const KEY = 'pseudonymiser-test-key-0123456789abcdef';
const ALIAS = new RegExp(`^[0-9a-hjkmnp-tv-z]{${ALIAS_LENGTH}}$`);

const request: DasherRequest = {
  identifiers: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      id_timestamp: '1961-07-27T00:00:00Z',
      items: [
        { id: 'MCH', id_source: 'Lab Result', id_timestamp: '2010-02-04T11:50:00Z' },
        { id: '1.2.3.4', id_source: 'DICOM StudyInstanceUID' },
      ],
    },
    { id: 'p2', id_source: 'PatientID', items: [{ id: 'MCH', id_source: 'Lab Result' }] },
  ],
};

describe('LocalPseudonymiser', () => {
  it('answers in the DASHER response shape, valid against the request', async () => {
    const source = new LocalPseudonymiser({ key: KEY });
    const response = await source.aliasesFor(request);
    expect(parseDasherResponse(response, 'test', request)).toEqual(response);
    const [first, second] = response.results;
    expect(first?.suid).toMatch(ALIAS);
    expect(first?.suid).toBe(source.entityAlias('14953772'));
    expect(first?.items[0]?.suid).toBe(source.itemAlias('14953772', 'MCH'));
    expect(first?.items.every((item) => item.jitter === first.jitter)).toBe(true);
    // The same item id under another entity gets another alias.
    expect(second?.items[0]?.suid).not.toBe(first?.items[0]?.suid);
  });

  it('computes jittered_timestamp from id_timestamp with the entity jitter', async () => {
    const source = new LocalPseudonymiser({ key: KEY, jitterDays: { min: 5, max: 5 } });
    const [first, second] = (await source.aliasesFor(request)).results;
    expect(first?.jitter).toBe(5);
    expect(first?.jittered_timestamp).toBe('1961-08-01T00:00:00Z');
    expect(first?.items[0]?.jittered_timestamp).toBe('2010-02-09T11:50:00Z');
    expect(first?.items[1]).not.toHaveProperty('jittered_timestamp');
    expect(second).not.toHaveProperty('jittered_timestamp');
  });

  it('rejects an unparseable id_timestamp naming its position, never the id or the timestamp', async () => {
    const source = new LocalPseudonymiser({ key: KEY });
    const bad = {
      identifiers: [{ id: 'p9', id_source: 'x', id_timestamp: 'yesterday', items: [] }],
    };
    const err = await source.aliasesFor(bad).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'the id_timestamp of identifier 0 of the request: not an ISO 8601 date or date-time',
    );
  });

  it('answers with ISO 8601 timestamps only: a DICOM-form id_timestamp is refused', async () => {
    const source = new LocalPseudonymiser({ key: KEY, jitterDays: { min: -2, max: -2 } });
    const offsets = {
      identifiers: [
        { id: 'p1', id_source: 'x', id_timestamp: '2010-02-04T11:50:00-0700', items: [] },
      ],
    };
    const [result] = (await source.aliasesFor(offsets)).results;
    expect(result?.jittered_timestamp).toBe('2010-02-02T11:50:00-0700');
    const dicom = {
      identifiers: [{ id: 'p9', id_source: 'x', id_timestamp: '20100204', items: [] }],
    };
    await expect(source.aliasesFor(dicom)).rejects.toThrow(
      'the id_timestamp of identifier 0 of the request: not an ISO 8601 date or date-time',
    );
  });

  it('says it is a local source', () => {
    expect(new LocalPseudonymiser({ key: KEY }).kind).toBe('local');
  });

  it('is stable across instances with the same key, in any form', () => {
    const a = new LocalPseudonymiser({ key: KEY });
    const b = new LocalPseudonymiser({ key: Buffer.from(KEY) });
    const c = new LocalPseudonymiser({ key: SecretKey.from(KEY) });
    expect(a.aliasesForSync(request)).toEqual(b.aliasesForSync(request));
    expect(c.aliasesForSync(request)).toEqual(a.aliasesForSync(request));
    expect(a.description).toBe(c.description);
  });

  it('gives unrelated aliases and jitters under another key', () => {
    const a = new LocalPseudonymiser({ key: KEY });
    const b = new LocalPseudonymiser({ key: `${KEY}!` });
    let sameJitter = 0;
    for (let i = 0; i < 1000; i += 1) {
      const id = `MRN${i}`;
      expect(b.entityAlias(id)).not.toBe(a.entityAlias(id));
      expect(b.itemAlias(id, 'study')).not.toBe(a.itemAlias(id, 'study'));
      if (a.jitterFor(id) === b.jitterFor(id)) sameJitter += 1;
    }
    // Independent jitters in 365 values agree about 1000/365 = 3 times; far fewer than 30.
    expect(sameJitter).toBeLessThan(30);
    expect(b.description).not.toBe(a.description);
  });

  it('keeps the default jitter within -365..-1 and covers the range', () => {
    expect(DEFAULT_JITTER_DAYS).toEqual({ min: -365, max: -1 });
    const source = new LocalPseudonymiser({ key: KEY });
    const jitters = Array.from({ length: 20_000 }, (_, i) => source.jitterFor(`patient-${i}`));
    expect(jitters.filter((j) => !Number.isInteger(j) || j < -365 || j > -1)).toEqual([]);
    const seen = new Set(jitters);
    expect(seen.size).toBe(365);
  });

  it('never chooses 0 in a range that spans it, and uses every other value', () => {
    const source = new LocalPseudonymiser({ key: KEY, jitterDays: { min: -2, max: 2 } });
    const counts = new Map<number, number>();
    for (let i = 0; i < 20_000; i += 1) {
      const jitter = source.jitterFor(`id${i}`);
      counts.set(jitter, (counts.get(jitter) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-2, -1, 1, 2]);
    for (const count of counts.values()) expect(count).toBeGreaterThan(4000); // about 5000 each
    const positive = new LocalPseudonymiser({ key: KEY, jitterDays: { min: 0, max: 1 } });
    for (let i = 0; i < 1000; i += 1) expect(positive.jitterFor(`id${i}`)).toBe(1);
  });

  it('has no collisions over 100,000 entity ids, nor over 100,000 items of one entity', () => {
    const source = new LocalPseudonymiser({ key: KEY });
    const entityAliases = Array.from({ length: 100_000 }, (_, i) =>
      source.entityAlias(String(10_000_000 + i)),
    );
    expect(entityAliases.filter((alias) => !ALIAS.test(alias))).toEqual([]);
    const entities = new Set(entityAliases); // MRN-like, consecutive ids
    const items = new Set(
      Array.from({ length: 100_000 }, (_, i) => source.itemAlias('patient', `1.2.840.10008.${i}`)),
    );
    expect(entities.size).toBe(100_000);
    expect(items.size).toBe(100_000);
  });

  it('puts the prefix before every alias and validates it', () => {
    const source = new LocalPseudonymiser({ key: KEY, aliasPrefix: 'som-' });
    expect(source.entityAlias('x')).toMatch(new RegExp(`^som-[0-9a-z]{${ALIAS_LENGTH}}$`));
    expect(source.itemAlias('x', 'y').startsWith('som-')).toBe(true);
    expect(() => new LocalPseudonymiser({ key: KEY, aliasPrefix: 'a/b' })).toThrow(
      'invalid alias prefix',
    );
  });

  it.each([
    [{ min: 0, max: 0 }, 'only 0'],
    [{ min: 3, max: 1 }, 'min is greater than max'],
    [{ min: -1.5, max: 1 }, 'whole numbers'],
    [{ min: -40_000, max: -1 }, 'limited to 36525 days'],
  ])('rejects the jitter range %j', (jitterDays, reason) => {
    let error: unknown;
    try {
      new LocalPseudonymiser({ key: KEY, jitterDays });
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
    expect((error as Error).message).toContain(reason);
  });

  it('answers repeated entities and items once', () => {
    const source = new LocalPseudonymiser({ key: KEY });
    const twice: DasherRequest = {
      identifiers: [
        {
          id: 'p1',
          id_source: 'MRN',
          items: [
            { id: 'a', id_source: 'S' },
            { id: 'a', id_source: 'S' },
          ],
        },
        { id: 'p1', id_source: 'MRN', items: [{ id: 'b', id_source: 'S' }] },
      ],
    };
    const { results } = source.aliasesForSync(twice);
    expect(results).toHaveLength(1);
    expect(results[0]?.items.map((item) => item.id)).toEqual(['a', 'b']);
  });

  it('rejects a malformed request', () => {
    const source = new LocalPseudonymiser({ key: KEY });
    expect(() => source.aliasesForSync({} as DasherRequest)).toThrow('"identifiers" list');
    const noId = { identifiers: [{ id_source: 'MRN', items: [] }] } as unknown as DasherRequest;
    expect(() => source.aliasesForSync(noId)).toThrow('identifiers[0] has no id');
  });

  it('never shows its key', () => {
    const source = new LocalPseudonymiser({ key: KEY });
    const texts = [
      String(source),
      JSON.stringify(source),
      JSON.stringify({ source }),
      inspect(source, { showHidden: true, depth: 10 }),
      inspect({ source }, { showHidden: true, depth: 10 }),
      source.description,
    ];
    for (const text of texts) expect(text).not.toContain(KEY);
    expect(JSON.parse(JSON.stringify(source))).toEqual({
      description: source.description,
      jitterDays: { min: -365, max: -1 },
      aliasPrefix: '',
    });
    let error: unknown;
    try {
      new LocalPseudonymiser({ key: KEY, jitterDays: { min: 1, max: 0 } });
    } catch (err) {
      error = err;
    }
    expect(inspect(error)).not.toContain(KEY);
  });

  it('feeds an AliasTable', async () => {
    const source = new LocalPseudonymiser({ key: KEY });
    const table = await AliasTable.fromSource(source, request);
    expect(table.entity('p2').suid).toBe(source.entityAlias('p2'));
    expect(table.item('p2', 'MCH').suid).toBe(source.itemAlias('p2', 'MCH'));
    expect(table.item('p2', 'MCH').jitter).toBe(source.jitterFor('p2'));
    expect(table.source).toBe(source.description);
  });
});
