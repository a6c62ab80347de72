/**
 * The recipe engine: action precedence, layers, selectors at every depth, values from
 * variables and functions, jitter, ADD, and failing closed.
 */
import { isSomError } from '@som/core';
import type { DeidResult, RecipeFunctionContext } from '..';
import { parseDicom } from '../reader';
import { identified, ORIGINAL, recipeOf, remapped, run, T } from './fixtures';

const has = (r: DeidResult, tag: number): boolean => r.header.has(tag);
const str = (r: DeidResult, tag: number): string | undefined => r.header.string(tag);

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isSomError(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('did not fail');
}

describe('layers', () => {
  it('lets the first layer that has an applicable rule decide, and removes what no layer keeps', () => {
    const result = run(
      identified(),
      recipeOf(
        'REPLACE PatientID P2\nREMOVE Modality',
        'KEEP Modality\nKEEP PatientID\nKEEP PatientName',
      ),
    );
    expect(str(result, T.PatientID)).toBe('P2');
    expect(has(result, T.Modality)).toBe(false);
    expect(str(result, T.PatientName)).toBe(ORIGINAL.patientName);
    expect(has(result, T.StudyDate)).toBe(false);
    expect(has(result, T.AccessionNumber)).toBe(false);
  });

  it('never lets a recipe remove the pixel data, and always drops group lengths', () => {
    const result = run(
      identified([{ tag: 0x00080000, vr: 'UL', value: Buffer.alloc(4) }]),
      recipeOf('REMOVE ALL'),
    );
    expect(parseDicom(result.bytes, 'out').dataset.get(T.PixelData)?.length).toBe(16);
    expect(
      run(
        identified([{ tag: 0x00080000, vr: 'UL', value: Buffer.alloc(4) }]),
        recipeOf('KEEP ALL'),
      ).header.has(0x00080000),
    ).toBe(false);
  });
});

describe('selectors apply at every depth', () => {
  const removedBy = (field: string): string[] => {
    const result = run(identified(), recipeOf(`REMOVE ${field}`, 'KEEP ALL'));
    const all: string[] = [];
    const visit = (ds: DeidResult['header']['dataset'], prefix: string): void => {
      for (const e of ds.elements) all.push(prefix + e.tag.toString(16).padStart(8, '0'));
      for (const e of ds.elements)
        ds.items(e).forEach((item) => visit(item, `${prefix}${e.tag.toString(16)}/`));
    };
    visit(parseDicom(result.bytes, 'out').dataset, '');
    const before = [
      '00080005',
      '00080016',
      '00080018',
      '00080020',
      '0008002a',
      '00080030',
      '00080050',
      '00080060',
      '00081140',
      '81140/00081150',
      '81140/00081155',
      '00090010',
      '00091001',
      '00100010',
      '00100020',
      '00100030',
      '00101002',
      '101002/00100020',
      '101002/00100021',
      '0020000d',
      '00280010',
      '7fe00010',
    ];
    // Added by the writer: none (the recipe has no ADD). Removed: what is missing.
    return before.filter((t) => !all.includes(t));
  };

  it.each([
    ['PatientID', ['00100020', '101002/00100020']],
    ['(0010,0020)', ['00100020', '101002/00100020']],
    ['startswith:Patient', ['00100010', '00100020', '00100030', '101002/00100020']],
    ['endswith:Date', ['00080020', '00100030']],
    [
      'contains:Sequence',
      [
        '00081140',
        '81140/00081150',
        '81140/00081155',
        '00101002',
        '101002/00100020',
        '101002/00100021',
      ],
    ],
    ['select:VR:DA', ['00080020', '00100030']],
    ['select:VR:UI', ['00080016', '00080018', '81140/00081150', '81140/00081155', '0020000d']],
    ['select:group:0009', ['00090010', '00091001']],
    ['select:private', ['00090010', '00091001']],
    ['(0009,"ACME",01)', ['00090010', '00091001']],
    ['(00xx,xx21)', ['101002/00100021']],
  ])('REMOVE %s', (field, removed) => {
    expect(removedBy(field).sort()).toEqual([...removed].sort());
  });

  it('except: keeps what matches and selects the rest', () => {
    const result = run(
      identified(),
      recipeOf('REMOVE except:Patient|Pixel|SOP|CharacterSet', 'KEEP ALL'),
    );
    expect(str(result, T.PatientID)).toBe(ORIGINAL.patientId);
    expect(has(result, T.StudyDate)).toBe(false);
    expect(has(result, T.Rows)).toBe(false);
  });
});

describe('values', () => {
  it('reads var: from the aliases, and a rule whose variable is unavailable declines', () => {
    const result = run(
      identified(),
      recipeOf('REPLACE PatientID var:entity_id\nREPLACE AccessionNumber var:item_id', 'KEEP ALL'),
    );
    expect(str(result, T.PatientID)).toBe('ENT-1');
    expect(result.header.items(T.OtherPatientIDsSequence)[0]?.string(T.PatientID)).toBe('ENT-1');
    expect(str(result, T.AccessionNumber)).toBe('ITEM-1');
    const noItem = run(
      identified(),
      recipeOf('REPLACE AccessionNumber var:item_id', 'REPLACE AccessionNumber fallback'),
      {
        aliases: { entity: { id: 'x', id_source: 'y', suid: 'E', jitter: 1, items: [] } },
      },
    );
    expect(str(noItem, T.AccessionNumber)).toBe('fallback');
  });

  it('takes the aliases from a function of the header', () => {
    const seen: string[] = [];
    const result = run(identified(), recipeOf('REPLACE PatientID var:entity_id', 'KEEP ALL'), {
      aliases: (header) => {
        seen.push(header.string('PatientID') ?? '');
        return { entity: { id: 'x', id_source: 'y', suid: 'FROM-HEADER', jitter: 1, items: [] } };
      },
    });
    expect(seen).toEqual([ORIGINAL.patientId]);
    expect(str(result, T.PatientID)).toBe('FROM-HEADER');
  });

  it('refuses unknown variables, and reads the caller variables', () => {
    expect(failure(() => run(identified(), recipeOf('REPLACE PatientID var:nope')))).toMatch(
      /test\.dcm: PatientID \(0010,0020\) \(layer1 line 2\): unknown variable var:nope/,
    );
    const result = run(
      identified(),
      recipeOf('REPLACE InstitutionName var:site\nADD InstitutionName var:site'),
      { variables: { site: 'SITE-9' } },
    );
    expect(str(result, 0x00080080)).toBe('SITE-9');
  });

  it('converts ISO timestamps of the aliases for DA and DT', () => {
    const result = run(identified(), recipeOf('REPLACE PatientBirthDate var:entity_timestamp'), {
      aliases: {
        entity: {
          id: 'x',
          id_source: 'y',
          suid: 'E',
          jitter: 3,
          jittered_timestamp: '1961-08-01T00:00:00-0700',
          items: [],
        },
      },
    });
    expect(str(result, T.PatientBirthDate)).toBe('19610801');
  });

  it('calls func: with the element and the original header; undefined declines', () => {
    const seen: RecipeFunctionContext[] = [];
    const result = run(
      identified(),
      recipeOf('REPLACE PatientName func:length\nREPLACE PatientID func:skip', 'KEEP ALL'),
      {
        functions: {
          length: (c) => {
            seen.push({
              ...c,
              action: c.action,
              value: c.value,
              item: c.item,
              field: c.field,
              header: c.header,
            });
            return `NAME-${c.value.length}`;
          },
          skip: () => undefined,
        },
      },
    );
    expect(str(result, T.PatientName)).toBe('NAME-8');
    expect(str(result, T.PatientID)).toBe(ORIGINAL.patientId);
    expect(seen[0]).toMatchObject({
      action: 'REPLACE',
      value: 'Doe^John',
      item: { entity_id: 'ENT-1', jitter: -10 },
      field: {
        name: 'PatientName',
        uid: '(0010,0010)',
        tag: T.PatientName,
        keyword: 'PatientName',
        vr: 'PN',
      },
    });
    expect(seen[0]?.header.string('PatientID')).toBe(ORIGINAL.patientId);
  });

  it('uses func: conditions for REMOVE and KEEP', () => {
    const isName = (c: RecipeFunctionContext) => c.value.includes('Doe') || c.value.includes('ACC');
    const result = run(identified(), recipeOf('REMOVE ALL func:isName', 'KEEP ALL'), {
      functions: { isName },
    });
    expect(has(result, T.PatientName)).toBe(false);
    expect(has(result, T.AccessionNumber)).toBe(false);
    expect(str(result, T.PatientID)).toBe(ORIGINAL.patientId);
  });

  it('remaps UIDs with deid_func, consistently with remapUid, and leaves standard UIDs', () => {
    const result = run(
      identified(),
      recipeOf('REPLACE select:VR:UI deid_func:remap_uid', 'KEEP ALL'),
    );
    expect(str(result, T.StudyInstanceUID)).toBe(remapped(ORIGINAL.studyUid));
    expect(str(result, T.SOPClassUID)).toBe('1.2.840.10008.5.1.4.1.1.7');
    const ref = result.header.items(T.ReferencedImageSequence)[0];
    expect(ref?.string(T.ReferencedSOPInstanceUID)).toBe(remapped(ORIGINAL.referencedUid));
    expect(result.sopInstanceUid).toBe(remapped(ORIGINAL.sopInstanceUid));
    expect(result.header.string('MediaStorageSOPInstanceUID')).toBe(result.sopInstanceUid);
    const prefixed = run(
      identified(),
      recipeOf('REPLACE StudyInstanceUID deid_func:pydicom_uuid prefix=1.55.', 'KEEP ALL'),
    );
    expect(str(prefixed, T.StudyInstanceUID)).toMatch(/^1\.55\.\d+$/);
    const again = run(
      identified(),
      recipeOf('REPLACE StudyInstanceUID deid_func:pydicom_uuid prefix=1.55.', 'KEEP ALL'),
    );
    expect(str(again, T.StudyInstanceUID)).toBe(str(prefixed, T.StudyInstanceUID));
  });
});

describe('JITTER', () => {
  const jitter = (value: string, vr: string, days = 'var:jitter'): string | undefined => {
    const result = run(
      // A private element: any VR may hold a date (a standard attribute must have its own VR).
      [{ tag: 0x00191202, vr, value }, ...identified()].sort((a, b) => a.tag - b.tag),
      recipeOf(`JITTER (0019,1202) ${days}`, 'KEEP ALL'),
    );
    return str(result, 0x00191202);
  };

  it('shifts DA, partial and multi-valued dates by the entity jitter; keeps empty values', () => {
    expect(jitter('20200315', 'DA')).toBe('20200305');
    expect(jitter('202003', 'DA')).toBe('202003');
    expect(jitter('20200101\\20200201', 'DA')).toBe('20191222\\20200122');
    expect(jitter('', 'DA')).toBe('');
  });

  it('shifts DT keeping time, fraction and offset; keeps TM', () => {
    expect(jitter('20200315101010.5+0100', 'DT')).toBe('20200305101010.5+0100');
    expect(jitter('101010', 'TM')).toBe('101010');
    expect(jitter('Doe', 'TM')).toBeUndefined();
  });

  it("prefers the item's jitter to the entity's", () => {
    const result = run(identified(), recipeOf('JITTER StudyDate var:jitter'), {
      aliases: {
        entity: { id: 'x', id_source: 'y', suid: 'E', jitter: -10, items: [] },
        item: { id: 'i', id_source: 's', suid: 'I', jitter: 2 },
      },
    });
    expect(str(result, T.StudyDate)).toBe('20200317');
  });

  it('removes a value it cannot shift, even when a later layer keeps everything', () => {
    expect(jitter('2020AB15', 'DA')).toBeUndefined();
    expect(jitter('yesterday', 'LO')).toBeUndefined();
    expect(jitter('20200315', 'LO')).toBe('20200305');
  });

  it('without a jitter the rule declines (the element is removed)', () => {
    const result = run(identified(), recipeOf('JITTER StudyDate var:jitter'), {
      aliases: { entity: { id: 'x', id_source: 'y', suid: 'E', jitter: Number.NaN, items: [] } },
    });
    expect(has(result, T.StudyDate)).toBe(false);
  });
});

describe('ADD', () => {
  it('creates a top-level element, or sets it', () => {
    const result = run(
      identified(),
      recipeOf('ADD PatientIdentityRemoved YES\nADD PatientID NEW', 'KEEP ALL'),
    );
    expect(str(result, 0x00120062)).toBe('YES');
    expect(str(result, T.PatientID)).toBe('NEW');
    expect(result.header.items(T.OtherPatientIDsSequence)[0]?.string(T.PatientID)).toBe(
      ORIGINAL.otherId,
    );
  });

  it('does not create what a higher layer removes', () => {
    const result = run(
      identified(),
      recipeOf('REMOVE PatientIdentityRemoved', 'ADD PatientIdentityRemoved YES\nKEEP ALL'),
    );
    expect(has(result, 0x00120062)).toBe(false);
  });
});

describe('fails closed', () => {
  it('refuses a text value for a sequence', () => {
    expect(failure(() => run(identified(), recipeOf('REPLACE OtherPatientIDsSequence x')))).toMatch(
      /sequence cannot take a text value/,
    );
  });

  it('refuses a replacement the character set cannot hold', () => {
    const specs = identified().map((s) =>
      s.tag === T.SpecificCharacterSet ? { ...s, value: '\\ISO 2022 IR 87' } : s,
    );
    expect(failure(() => run(specs, recipeOf('REPLACE PatientName 山田')))).toMatch(
      /the new value cannot be written in the data set's Specific Character Set/,
    );
    const latin = run(identified(), recipeOf('REPLACE PatientName Müller'));
    expect(latin.header.element(T.PatientName)?.length).toBe(6);
    expect(str(latin, T.PatientName)).toBe('Müller');
  });

  it('refuses functions that return the wrong kind of value', () => {
    expect(
      failure(() =>
        run(identified(), recipeOf('REPLACE PatientName func:f'), { functions: { f: () => true } }),
      ),
    ).toMatch(/returned a boolean/);
    expect(
      failure(() =>
        run(identified(), recipeOf('REMOVE PatientName func:f'), { functions: { f: () => 'yes' } }),
      ),
    ).toMatch(/must return true or false/);
    expect(
      failure(() =>
        run(identified(), recipeOf('JITTER StudyDate func:f'), { functions: { f: () => 1.5 } }),
      ),
    ).toMatch(/whole number of days/);
    expect(failure(() => run(identified(), recipeOf('REPLACE PatientName func:missing')))).toMatch(
      /no function func:missing/,
    );
  });

  it('drops a private creator whose block has nothing left', () => {
    const result = run(identified(), recipeOf('REMOVE (0009,"ACME",01)', 'KEEP ALL'));
    expect(has(result, T.PrivateCreator)).toBe(false);
    expect(has(result, T.PrivateValue)).toBe(false);
  });
});
