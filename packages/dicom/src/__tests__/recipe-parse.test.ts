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
        '%header\n\nREPLACE PatientNme X\n',
        /^my\.recipe line 3: unknown attribute keyword "PatientNme"/,
      ],
      ['%header\nADD PatientsName X\n', /^my\.recipe line 2: unknown attribute keyword/],
      [
        '%header\nREMOVE contains:(\n',
        /^my\.recipe line 2: "\(" is not a valid regular expression/,
      ],
      ['FORMAT dicom\n%filter\n', /^my\.recipe line 2: %filter needs a name/],
      ['FORMAT dicom\n%pixels x\n', /^my\.recipe line 2: unknown section %pixels/],
      [
        '%filter graylist\ncontains Modality CT\n',
        /^my\.recipe line 2: criteria before the first LABEL/,
      ],
      [
        '%filter graylist\nLABEL x\n  contains Modality\n',
        /^my\.recipe line 3: contains needs a value/,
      ],
      [
        '%filter graylist\nLABEL x\n  matches Modality CT\n',
        /^my\.recipe line 3: unknown filter test "matches"/,
      ],
      [
        '%filter graylist\nLABEL x\n  coordinates 0,0,10\n',
        /^my\.recipe line 3: coordinates need four whole numbers/,
      ],
      ['%values names\nSPLIT PatientName by=^;min=2\n', /^my\.recipe line 2: unknown SPLIT option/],
      ['%fields f\nSPLIT PatientName\n', /^my\.recipe line 2: %fields takes only FIELD lines/],
      ['FORMAT nifti\n', /^my\.recipe line 1: unsupported FORMAT "nifti"/],
      ['REMOVE PatientName\n', /^my\.recipe line 1: a line outside any section/],
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
        /^my\.recipe line 2: values:cookie_names names no %values cookie_names section/,
      ],
      ['%header\nREMOVE select:VR:ZZ\n', /^my\.recipe line 2: unknown VR "ZZ"/],
      [
        '%header\nREMOVE 0__PatientName\n',
        /^my\.recipe line 2: .*an item index must follow a sequence/,
      ],
      [
        '%header\nREMOVE (0010,"CREATOR",10)\n',
        /^my\.recipe line 2: .* private creator in the even group/,
      ],
    ];
    for (const [text, pattern] of cases) expect(error(text)).toMatch(pattern);
  });

  it('warns once, naming the line, for a REMOVE, BLANK, KEEP or JITTER of an unknown keyword', () => {
    const recipe = parseRecipe(
      '%header\nREMOVE PatientsName\nBLANK jitter\nREMOVE PatientName\n',
      'my.recipe',
    );
    expect(recipe.warnings).toEqual([
      'my.recipe line 2: REMOVE PatientsName: no attribute has this name; the line does nothing',
      'my.recipe line 3: BLANK jitter: no attribute has this name; the line does nothing',
    ]);
    expect(recipe.layers[0]?.rules.map((r) => r.field.kind)).toEqual(['nothing', 'nothing', 'tag']);
  });

  it('reads nested names, %values and %fields groups', () => {
    const recipe = parseRecipe(
      `%values names
SPLIT PatientName by="^";minlength=3
FIELD startswith:Operator
%fields ids
FIELD contains:Instance
%header
REPLACE values:names X
REMOVE fields:ids
REMOVE ReferencedImageSequence__ReferencedSOPInstanceUID
REMOVE (0008,1140)__0__(0008,1155)
`,
      'g.recipe',
    );
    const layer = recipe.layers[0];
    expect(layer?.order).toBe('file-order');
    expect(layer?.lists?.values.names).toEqual([
      {
        action: 'SPLIT',
        field: { kind: 'tag', tag: 0x00100010 },
        by: '^',
        minLength: 3,
        origin: 'g.recipe line 2',
      },
      {
        action: 'FIELD',
        field: { kind: 'pattern', mode: 'startswith', pattern: 'Operator' },
        origin: 'g.recipe line 3',
      },
    ]);
    expect(layer?.rules.map((r) => r.field)).toEqual([
      { kind: 'list', list: 'values', name: 'names' },
      { kind: 'list', list: 'fields', name: 'ids' },
      { kind: 'path', steps: [{ tag: 0x00081140 }, { tag: 0x00081155 }] },
      { kind: 'path', steps: [{ tag: 0x00081140, item: 0 }, { tag: 0x00081155 }] },
    ]);
  });

  it('reads %filter sections: labels, joins, coordinates', () => {
    const recipe = parseRecipe(
      `%filter graylist
LABEL Dose # (CTP)
  contains Modality CT
  + contains ImageType DERIVED+SECONDARY || missing ImageType
  || equals 0x00280010 512|1024
  coordinates 0,0,512,121
  ctpcoordinates 10,20,30,40
  keepcoordinates from:SequenceOfUltrasoundRegions
LABEL Everything
  coordinates all
%filter blacklist
LABEL b
  notequals Manufacturer GE
`,
      'f.recipe',
    );
    const [gray, black] = recipe.pixelFilter?.sections ?? [];
    expect(gray?.kind).toBe('graylist');
    expect(black?.kind).toBe('blacklist');
    expect(gray?.labels[0]).toEqual({
      name: 'Dose',
      origin: 'f.recipe line 2',
      clauses: [
        {
          join: 'and',
          conditions: [
            {
              join: 'and',
              condition: { test: 'contains', tag: 0x00080060, field: 'Modality', value: 'CT' },
            },
          ],
        },
        {
          join: 'and',
          conditions: [
            {
              join: 'and',
              condition: {
                test: 'contains',
                tag: 0x00080008,
                field: 'ImageType',
                value: 'DERIVED+SECONDARY',
              },
            },
            { join: 'or', condition: { test: 'missing', tag: 0x00080008, field: 'ImageType' } },
          ],
        },
        {
          join: 'or',
          conditions: [
            {
              join: 'and',
              condition: {
                test: 'equals',
                tag: 0x00280010,
                field: '0x00280010',
                value: '512|1024',
              },
            },
          ],
        },
      ],
      regions: [
        { keep: false, shape: { kind: 'rect', x0: 0, y0: 0, x1: 512, y1: 121 } },
        { keep: false, shape: { kind: 'rect', x0: 10, y0: 20, x1: 40, y1: 60 } },
        { keep: true, shape: { kind: 'from', tag: 0x00186011 } },
      ],
    });
    expect(gray?.labels[1]).toMatchObject({
      name: 'Everything',
      clauses: [],
      regions: [{ keep: false, shape: { kind: 'all' } }],
    });
  });
});
