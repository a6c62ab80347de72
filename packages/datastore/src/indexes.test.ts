/** The composite index plan and index.yaml (the built bin that writes it: indexes.server.test.ts). */
import { DEFAULT_SEARCHABLE_FIELDS, MAX_COMPOSITE_INDEXES, compositeIndexes, indexYaml } from '.';

describe('compositeIndexes', () => {
  it('indexes an ancestor with a range on each field, and equality beside a range on another', () => {
    const indexes = compositeIndexes({ fields: ['Modality', 'StudyDate'] });
    expect(indexes).toEqual([
      { kind: 'Image', ancestor: true, properties: [{ name: 'Modality', direction: 'asc' }] },
      { kind: 'Image', ancestor: true, properties: [{ name: 'StudyDate', direction: 'asc' }] },
      {
        kind: 'Image',
        ancestor: false,
        properties: [
          { name: 'Modality', direction: 'asc' },
          { name: 'StudyDate', direction: 'asc' },
        ],
      },
      {
        kind: 'Image',
        ancestor: true,
        properties: [
          { name: 'Modality', direction: 'asc' },
          { name: 'StudyDate', direction: 'asc' },
        ],
      },
      {
        kind: 'Image',
        ancestor: false,
        properties: [
          { name: 'StudyDate', direction: 'asc' },
          { name: 'Modality', direction: 'asc' },
        ],
      },
      {
        kind: 'Image',
        ancestor: true,
        properties: [
          { name: 'StudyDate', direction: 'asc' },
          { name: 'Modality', direction: 'asc' },
        ],
      },
    ]);
  });

  it('counts 2n + 4n(n-1) indexes with descending orders, n without pairs, per kind', () => {
    expect(compositeIndexes({ fields: ['a', 'b', 'c'], descending: true })).toHaveLength(6 + 24);
    expect(
      compositeIndexes({ fields: ['a', 'b', 'c'], pairs: false, kinds: ['Image', 'Entity'] }),
    ).toHaveLength(6);
    expect(compositeIndexes({ fields: DEFAULT_SEARCHABLE_FIELDS }).length).toBeLessThanOrEqual(
      MAX_COMPOSITE_INDEXES,
    );
  });

  it('refuses bad fields and plans over the limit', () => {
    expect(() => compositeIndexes({ fields: ['bad-name'] })).toThrow(
      'invalid searchable field "bad-name"',
    );
    expect(() => compositeIndexes({ fields: 'abcdefgh'.split(''), descending: true })).toThrow(
      /240 composite indexes for 8 fields exceed Datastore's 200/,
    );
  });

  it('writes index.yaml', () => {
    const yaml = indexYaml(
      compositeIndexes({ fields: ['Rows', 'Modality'], descending: true, pairs: false }),
    );
    expect(yaml).toBe(
      [
        "# Composite indexes of som's searches: gcloud datastore indexes create index.yaml",
        'indexes:',
        '- kind: Image',
        '  ancestor: yes',
        '  properties:',
        '  - name: Rows',
        '- kind: Image',
        '  ancestor: yes',
        '  properties:',
        '  - name: Rows',
        '    direction: desc',
        '- kind: Image',
        '  ancestor: yes',
        '  properties:',
        '  - name: Modality',
        '- kind: Image',
        '  ancestor: yes',
        '  properties:',
        '  - name: Modality',
        '    direction: desc',
        '',
      ].join('\n'),
    );
  });
});
