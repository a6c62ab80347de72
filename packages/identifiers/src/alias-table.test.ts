import { isSomError } from '@som/core';
import { AliasTable } from './alias-table';
import { thrown } from './__tests__/thrown';

const response = {
  results: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      suid: '12fa',
      jitter: 5,
      jittered_timestamp: '1961-08-01T00:00:00-0700',
      items: [
        {
          id: 'MCH',
          id_source: 'Lab Result',
          suid: '12fb',
          jitter: 7,
          jittered_timestamp: '2010-02-09T11:50:00-0800',
        },
        { id: 'ACC2', id_source: 'Accession', suid: '12fc' },
      ],
    },
    { id: 'p2', id_source: 'MRN', suid: 'zz', jitter: -3, items: [] },
  ],
};

describe('AliasTable', () => {
  const table = new AliasTable(response, 'ids.json');

  it('looks up entities', () => {
    expect(table.size).toBe(2);
    expect(table.entityIds()).toEqual(['14953772', 'p2']);
    const entity = table.entity('14953772');
    expect(entity.suid).toBe('12fa');
    expect(entity.jitter).toBe(5);
    expect(entity.jittered_timestamp).toBe('1961-08-01T00:00:00-0700');
    expect(table.entity('p2').suid).toBe('zz');
    expect(table.hasEntity('p2')).toBe(true);
    expect(table.hasEntity('p3')).toBe(false);
  });

  it("looks up items; an item without a jitter takes its entity's", () => {
    expect(table.item('14953772', 'MCH')).toMatchObject({ suid: '12fb', jitter: 7 });
    expect(table.item('14953772', 'ACC2')).toMatchObject({ suid: '12fc', jitter: 5 });
    expect(table.entity('14953772').items[1]?.jitter).toBe(5);
    expect(table.hasItem('14953772', 'MCH')).toBe(true);
    expect(table.hasItem('p2', 'MCH')).toBe(false);
  });

  it('throws NotFound naming the source, never the ids', () => {
    const e1 = thrown(() => table.entity('nobody'));
    expect(isSomError(e1, 'NotFound')).toBe(true);
    expect(e1.message).toBe('ids.json has no alias for the entity asked (ids are not shown)');
    const e2 = thrown(() => table.item('p2', 'MCH'));
    expect(isSomError(e2, 'NotFound')).toBe(true);
    expect(e2.message).toBe(
      'ids.json has no alias for the item asked of this entity (ids are not shown)',
    );
    const e3 = thrown(() => table.item('nobody', 'MCH'));
    expect(e3.message).toBe(e1.message);
  });

  it('returns frozen aliases that cannot corrupt the table', () => {
    expect(Object.isFrozen(table.entity('p2'))).toBe(true);
    expect(Object.isFrozen(table.item('14953772', 'MCH'))).toBe(true);
  });

  it('validates the response it is built from', () => {
    const bad = { results: [response.results[1], response.results[1]] };
    const err = thrown(() => new AliasTable(bad as typeof response, 'dup.json'));
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    expect(err.message).toContain('result 1: the same id as result 0');
  });

  it('round-trips through toResponse with effective item jitters', () => {
    const again = new AliasTable(table.toResponse());
    expect(again.item('14953772', 'ACC2').jitter).toBe(5);
    expect(again.entity('p2')).toEqual(table.entity('p2'));
  });
});
