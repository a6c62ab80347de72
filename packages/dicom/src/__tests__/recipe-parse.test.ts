import { isSomError } from '@som/core';
import { parseRecipe, type FieldSelector, type RecipeRule } from '..';

function rules(text: string): readonly RecipeRule[] {
  const recipe = parseRecipe(text, 'test.recipe');
  expect(recipe.layers).toHaveLength(1);
  return recipe.layers[0]?.rules ?? [];
}

function error(text: string): string {
  try {
    parseRecipe(text, 'my.recipe');
  } catch (err) {
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('parseRecipe', () => {
  it("parses deid's example recipe", () => {
    const parsed = rules(`FORMAT dicom

%header

ADD PatientIdentityRemoved YES
BLANK PatientComments
KEEP Modality
REPLACE PatientID var:entity_id
JITTER StudyDate var:jitter
REMOVE ReferringPhysicianName
`);
    expect(parsed.map((r) => [r.action, r.origin])).toEqual([
      ['ADD', 'test.recipe line 5'],
      ['BLANK', 'test.recipe line 6'],
      ['KEEP', 'test.recipe line 7'],
      ['REPLACE', 'test.recipe line 8'],
      ['JITTER', 'test.recipe line 9'],
      ['REMOVE', 'test.recipe line 10'],
    ]);
    expect(parsed[0]).toMatchObject({
      field: { kind: 'tag', tag: 0x00120062 },
      value: { kind: 'literal', text: 'YES' },
    });
    expect(parsed[3]).toMatchObject({
      field: { kind: 'tag', tag: 0x00100020 },
      value: { kind: 'var', name: 'entity_id' },
    });
  });

  it('reads every selector form', () => {
    const fields = (line: string): FieldSelector | undefined =>
      rules(`%header\nREMOVE ${line}\n`)[0]?.field;
    expect(fields('(0010,0010)')).toEqual({ kind: 'tag', tag: 0x00100010 });
    expect(fields('00100010')).toEqual({ kind: 'tag', tag: 0x00100010 });
    expect(fields('patientname')).toEqual({ kind: 'tag', tag: 0x00100010 });
    expect(fields('(50xx,xxxx)')).toEqual({ kind: 'mask', value: 0x50000000, mask: 0xff000000 });
    expect(fields('ALL')).toEqual({ kind: 'all' });
    expect(fields('startswith:Patient')).toEqual({
      kind: 'pattern',
      mode: 'startswith',
      pattern: 'Patient',
    });
    expect(fields('endswith:Date')).toEqual({ kind: 'pattern', mode: 'endswith', pattern: 'Date' });
    expect(fields('contains:Name')).toEqual({ kind: 'pattern', mode: 'contains', pattern: 'Name' });
    expect(fields('except:StudyDate|StudyTime')).toEqual({
      kind: 'pattern',
      mode: 'except',
      pattern: 'StudyDate|StudyTime',
    });
    expect(fields('select:VR:TM')).toEqual({ kind: 'vr', vr: 'TM' });
    expect(fields('select:group:0018')).toEqual({ kind: 'group', group: 0x18 });
    expect(fields('select:private')).toEqual({ kind: 'class', class: 'private' });
    expect(fields('(0033,"MITRA OBJECT UTF8 ATTRIBUTES 1.0",1E)')).toEqual({
      kind: 'private',
      group: 0x33,
      creator: 'MITRA OBJECT UTF8 ATTRIBUTES 1.0',
      offset: 0x1e,
    });
  });

  it('reads values, conditions, comments and CRLF line ends', () => {
    const parsed = rules(
      [
        '# a comment',
        'FORMAT dicom',
        '%header',
        'REPLACE PatientName func:alias  # trailing comment',
        'REPLACE SOPInstanceUID deid_func:pydicom_uuid prefix=1.55.',
        'REMOVE ALL func:is_name',
        'KEEP SeriesDescription deid_func:is_clean',
        'JITTER PatientBirthDate -31',
        'REPLACE InstitutionName Hospital: a place',
      ].join('\r\n'),
    );
    expect(parsed.map((r) => r.value)).toEqual([
      { kind: 'func', name: 'alias' },
      { kind: 'deid_func', name: 'pydicom_uuid', args: { prefix: '1.55.' } },
      { kind: 'func', name: 'is_name' },
      { kind: 'deid_func', name: 'is_clean', args: {} },
      { kind: 'literal', text: '-31' },
      { kind: 'literal', text: 'Hospital: a place' },
    ]);
    expect(parsed[2]?.origin).toBe('test.recipe line 6');
  });

  it('names the source and line of every malformed line', () => {
    const cases: [string, RegExp][] = [
      [
        'FORMAT dicom\n%header\nKEEP Modality\nSCRAMBLE PatientName\n',
        /^my\.recipe line 4: unknown action "SCRAMBLE"/,
      ],
      ['%header\nADD PatientIdentityRemoved\n', /^my\.recipe line 2: ADD needs a value/],
      ['%header\nREMOVE\n', /^my\.recipe line 2: REMOVE needs a field/],
      ['%header\nJITTER StudyDate soon\n', /^my\.recipe line 2: JITTER needs a whole number/],
      [
        '%header\n\nREMOVE PatientNme\n',
        /^my\.recipe line 3: unknown attribute keyword "PatientNme"/,
      ],
      [
        '%header\nREMOVE contains:(\n',
        /^my\.recipe line 2: "\(" is not a valid regular expression/,
      ],
      [
        'FORMAT dicom\n%filter dangerouscookie\n',
        /^my\.recipe line 2: section %filter is not supported/,
      ],
      ['FORMAT nifti\n', /^my\.recipe line 1: unsupported FORMAT "nifti"/],
      ['REMOVE PatientName\n', /^my\.recipe line 1: REMOVE outside a %header section/],
      [
        '%header\nREPLACE PatientID deid_func:nope\n',
        /^my\.recipe line 2: unknown deid_func "nope"/,
      ],
      ['%header\nBLANK PatientName now\n', /^my\.recipe line 2: BLANK takes no value/],
      [
        '%header\nREMOVE PatientName yes\n',
        /^my\.recipe line 2: REMOVE takes only a func: or deid_func: condition/,
      ],
      ['%header\nADD contains:Name X\n', /^my\.recipe line 2: ADD needs a keyword or a tag/],
      [
        '%header\nREMOVE values:cookie_names\n',
        /^my\.recipe line 2: values: lists .* are not supported/,
      ],
      ['%header\nREMOVE select:VR:ZZ\n', /^my\.recipe line 2: unknown VR "ZZ"/],
      ['%header\nREMOVE Sequence__Child\n', /^my\.recipe line 2: nested field names/],
      [
        '%header\nREMOVE (0010,"CREATOR",10)\n',
        /^my\.recipe line 2: .* private creator in the even group/,
      ],
    ];
    for (const [text, pattern] of cases) expect(error(text)).toMatch(pattern);
  });
});
