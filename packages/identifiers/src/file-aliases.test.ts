import { isSomError } from '@som/core';
import { AliasTable } from './alias-table';
import { AmbiguousItemError, FileAliasLookup } from './file-aliases';
import type { FileKeys } from './file-keys';
import { SEED_RESPONSE } from './__tests__/seed-response';
import { thrown } from './__tests__/thrown';

/**
 * A response shaped like the ones the original pipeline (sendit) got from DASHER: patients
 * by MRN, items keyed by accession number, jitters as numbers or numeric strings,
 * timestamps with `Z` and with offsets.
 */
const sendit = {
  results: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      suid: 'S6M0a1',
      jitter: -12,
      jittered_timestamp: '1961-07-15T00:00:00Z',
      items: [
        {
          id: '5400001',
          id_source: 'DCM Accession #',
          suid: 'S6M0a1-acc1',
          jitter: -12,
          jittered_timestamp: '2010-01-23T11:50:00Z',
        },
        {
          id: '5400002',
          id_source: 'DCM Accession #',
          suid: 'S6M0a1-acc2',
          jitter: '-12',
          jittered_timestamp: '2011-05-01T08:00:00-0700',
        },
      ],
    },
    {
      id: '20331145',
      id_source: 'Stanford MRN',
      suid: 'S6M0b2',
      jitter: '7',
      jittered_timestamp: '1970-03-08T00:00:00-08:00',
      items: [
        { id: '5400010', id_source: 'DCM Accession #', suid: 'S6M0b2-acc1', jitter: 7 },
        { id: '5400011', id_source: 'DCM Accession #', suid: 'S6M0b2-acc2' },
      ],
    },
    {
      id: '30000001',
      id_source: 'Stanford MRN',
      suid: 'S6M0c3',
      jitter: -30,
      items: [{ id: '5400020', id_source: 'DCM Accession #', suid: 'S6M0c3-acc1', jitter: -30 }],
    },
  ],
};

/** Files of the three patients: two images per accession, the StudyInstanceUID never an item id. */
function senditFiles(): (FileKeys & { expect: [string, string, number] })[] {
  const files: (FileKeys & { expect: [string, string, number] })[] = [];
  const add = (mrn: string, accession: string, entity: string, item: string, jitter: number) => {
    for (let i = 1; i <= 2; i += 1) {
      files.push({
        entityId: mrn,
        accessionNumber: accession,
        studyInstanceUid: `1.2.840.99.${accession}`,
        sopInstanceUid: `1.2.840.99.${accession}.${i}`,
        expect: [entity, item, jitter],
      });
    }
  };
  add('14953772', '5400001', 'S6M0a1', 'S6M0a1-acc1', -12);
  add('14953772', '5400002', 'S6M0a1', 'S6M0a1-acc2', -12);
  add('20331145', '5400010', 'S6M0b2', 'S6M0b2-acc1', 7);
  add('20331145', '5400011', 'S6M0b2', 'S6M0b2-acc2', 7); // the item's jitter is its entity's
  add('30000001', '5400020', 'S6M0c3', 'S6M0c3-acc1', -30);
  return files;
}

/** A response with one result, patient `id` (alias e1, jitter -1), with `items`. */
function onePatient(id: string, items: object[]): AliasTable {
  return new AliasTable({ results: [{ id, suid: 'e1', jitter: -1, items }] }, 'ids.json');
}

describe('FileAliasLookup', () => {
  it('matches every file of a sendit-shaped response by its AccessionNumber', () => {
    const files = senditFiles();
    const lookup = new FileAliasLookup(new AliasTable(sendit, 'ids.json'), files);
    expect(lookup.ambiguities).toEqual([]);
    for (const file of files) {
      const aliases = lookup.aliasesOf(file);
      const [entity, item, jitter] = file.expect;
      expect(aliases.entity.suid).toBe(entity);
      expect(aliases.item?.suid).toBe(item);
      expect(aliases.item?.jitter).toBe(jitter);
      expect(aliases.matchedBy).toBe('accession');
    }
    const first = lookup.aliasesOf(files[0] as FileKeys);
    expect(first.entity.jitter).toBe(-12);
    expect(first.entity.jittered_timestamp).toBe('1961-07-15T00:00:00Z');
    expect(first.item?.jittered_timestamp).toBe('2010-01-23T11:50:00Z');
    expect(lookup.aliasesOf(files[2] as FileKeys).item?.jittered_timestamp).toBe(
      '2011-05-01T08:00:00-0700',
    );
  });

  it("gives a file of a known patient whose accession has no item its entity's alias and jitter only", () => {
    const lookup = new FileAliasLookup(new AliasTable(sendit), []);
    const aliases = lookup.aliasesOf({
      entityId: '20331145',
      accessionNumber: '9999999',
      studyInstanceUid: '1.2.3',
      sopInstanceUid: '1.2.3.4',
    });
    expect(aliases.entity.suid).toBe('S6M0b2');
    expect(aliases.entity.jitter).toBe(7);
    expect(aliases.item).toBeUndefined();
    expect(aliases.matchedBy).toBeUndefined();
    // No AccessionNumber at all: the same.
    expect(lookup.aliasesOf({ entityId: '30000001', studyInstanceUid: '1.2.3' }).item).toBe(
      undefined,
    );
  });

  it("falls back to the entity for the seed's Lab Result item, and for a response with no items", () => {
    const seed = {
      results: [...SEED_RESPONSE.results, { id: 'p2', suid: 'p2alias', jitter: -4 }], // p2: no "items"
    };
    const file = {
      entityId: '14953772',
      accessionNumber: 'ACC1',
      studyInstanceUid: '1.2.3',
      sopInstanceUid: '1.2.3.1',
    };
    const lookup = new FileAliasLookup(new AliasTable(seed), [file, { entityId: 'p2' }]);
    expect(lookup.aliasesOf(file)).toEqual({ entity: expect.objectContaining({ suid: '12fa' }) });
    expect(lookup.aliasesOf(file).entity.jitter).toBe(5);
    const p2 = lookup.aliasesOf({ entityId: 'p2', studyInstanceUid: '1.2.4' });
    expect(p2.entity).toMatchObject({ suid: 'p2alias', jitter: -4 });
    expect(p2.item).toBeUndefined();
  });

  it('matches study-keyed and SOP-keyed items by the field their id_source names', () => {
    const table = onePatient('P1', [
      { id: '1.2.3', id_source: 'DICOM StudyInstanceUID', suid: 'study1' },
      { id: '1.2.3.7', id_source: 'DICOM SOPInstanceUID', suid: 'image7', jitter: -9 },
      // Named as an accession: never matched by a StudyInstanceUID, even an equal one.
      { id: '1.2.9', id_source: 'DCM Accession #', suid: 'acc9' },
    ]);
    const files: FileKeys[] = [
      { entityId: 'P1', studyInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.1' },
      { entityId: 'P1', studyInstanceUid: '1.2.5', sopInstanceUid: '1.2.3.7' },
      {
        entityId: 'P1',
        accessionNumber: 'A',
        studyInstanceUid: '1.2.9',
        sopInstanceUid: '1.2.9.1',
      },
    ];
    const lookup = new FileAliasLookup(table, files);
    expect(lookup.aliasesOf(files[0] as FileKeys)).toMatchObject({
      item: { suid: 'study1', jitter: -1 },
      matchedBy: 'study',
    });
    expect(lookup.aliasesOf(files[1] as FileKeys)).toMatchObject({
      item: { suid: 'image7', jitter: -9 },
      matchedBy: 'image',
    });
    expect(lookup.aliasesOf(files[2] as FileKeys).item).toBeUndefined();
  });

  it('tries AccessionNumber, StudyInstanceUID and SOPInstanceUID in turn for items naming no level', () => {
    const table = onePatient('P1', [
      { id: '1.2.3', id_source: 'Stanford PACS', suid: 'by-study' },
      { id: 'A7', id_source: 'Stanford PACS', suid: 'by-accession' },
      { id: '1.2.8.1', id_source: '', suid: 'by-image' },
    ]);
    const both = { entityId: 'P1', accessionNumber: 'A7', studyInstanceUid: '1.2.3' };
    const study = { entityId: 'P1', accessionNumber: 'A8', studyInstanceUid: '1.2.3' };
    const image = { entityId: 'P1', studyInstanceUid: '1.2.8', sopInstanceUid: '1.2.8.1' };
    const lookup = new FileAliasLookup(table, [both, study, image]);
    const found = [both, study, image].map((file) => {
      const { item, matchedBy } = lookup.aliasesOf(file);
      return [item?.suid, matchedBy];
    });
    expect(found).toEqual([
      ['by-accession', 'accession'],
      ['by-study', 'study'],
      ['by-image', 'image'],
    ]);
  });

  it('with itemLevel, matches items naming no level by that level only', () => {
    const table = onePatient('P1', [{ id: 'X1', id_source: 'Stanford PACS', suid: 'x' }]);
    const byStudy = { entityId: 'P1', accessionNumber: 'A', studyInstanceUid: 'X1' };
    const byAccession = { entityId: 'P1', accessionNumber: 'X1', studyInstanceUid: '1.2' };
    const lookup = new FileAliasLookup(table, [byStudy, byAccession], {
      itemLevel: 'study',
    });
    expect(lookup.ambiguities).toEqual([]);
    expect(lookup.aliasesOf(byStudy)).toMatchObject({ item: { suid: 'x' }, matchedBy: 'study' });
    expect(lookup.aliasesOf(byAccession).item).toBeUndefined();
  });

  describe('an item id that is different kinds of identifier of different files', () => {
    const table = onePatient('MRN-1', [
      { id: 'ACC-A', id_source: 'Lab Result', suid: 'fine' },
      { id: '77', id_source: 'Lab Result', suid: 'ambiguous' },
    ]);
    // "77" is the AccessionNumber of one file and the StudyInstanceUID of another.
    const byAccession = { entityId: 'MRN-1', accessionNumber: '77', studyInstanceUid: '1.1' };
    const byStudy = { entityId: 'MRN-1', accessionNumber: 'ACC-B', studyInstanceUid: '77' };
    const unrelated = { entityId: 'MRN-1', accessionNumber: 'ACC-A', studyInstanceUid: '1.3' };
    const lookup = new FileAliasLookup(table, [byAccession, byStudy, unrelated]);

    it('fails the files it matches with an error naming its position, never its id', () => {
      for (const file of [byAccession, byStudy]) {
        const err = thrown(() => lookup.aliasesOf(file));
        expect(err).toBeInstanceOf(AmbiguousItemError);
        expect(isSomError(err, 'InvalidArgument')).toBe(true);
        expect(err.message).toBe(
          'ambiguous item results[0].items[1] in ids.json: its id is the AccessionNumber of some files and the StudyInstanceUID of others; name what it identifies in its id_source (e.g. "DCM Accession #" or "DICOM StudyInstanceUID")',
        );
        for (const original of ['77', 'MRN-1', 'ACC-B', '1.1']) {
          expect(err.message).not.toContain(`"${original}"`);
          expect(err.message).not.toContain(` ${original} `);
        }
      }
      expect((thrown(() => lookup.aliasesOf(byStudy)) as AmbiguousItemError).levels).toEqual([
        'accession',
        'study',
      ]);
    });

    it('leaves the other files alone and lists the ambiguity once', () => {
      expect(lookup.aliasesOf(unrelated).item?.suid).toBe('fine');
      expect(lookup.ambiguities.map((e) => e.position)).toEqual(['results[0].items[1]']);
    });

    it('is not ambiguous when reading it either way gives the same files', () => {
      const same = { entityId: 'MRN-1', accessionNumber: '77', studyInstanceUid: '77' };
      const alone = new FileAliasLookup(table, [same]);
      expect(alone.ambiguities).toEqual([]);
      expect(alone.aliasesOf(same)).toMatchObject({ item: { suid: 'ambiguous' } });
    });

    it('is never ambiguous when its id_source names what it identifies', () => {
      const named = onePatient('MRN-1', [
        { id: '77', id_source: 'DCM Accession #', suid: 'acc77' },
      ]);
      const clear = new FileAliasLookup(named, [byAccession, byStudy]);
      expect(clear.ambiguities).toEqual([]);
      expect(clear.aliasesOf(byAccession).item?.suid).toBe('acc77');
      expect(clear.aliasesOf(byStudy).item).toBeUndefined();
    });
  });

  it('fails a file whose patient has no result with NotFound naming the source, never the id', () => {
    const lookup = new FileAliasLookup(new AliasTable(sendit, 'ids.json'), []);
    const err = thrown(() =>
      lookup.aliasesOf({ entityId: '99999999', accessionNumber: '5400001' }),
    );
    expect(isSomError(err, 'NotFound')).toBe(true);
    expect(err.message).toBe('ids.json has no alias for the patient of this file');
  });
});
