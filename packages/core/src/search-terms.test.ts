import { parseAssignment, parseSearchTerm, type FieldTypes } from './search-terms';

/** Types as a caller knows them (DICOM VRs and som's own fields come from @som/dicom). */
const fieldType: FieldTypes = (field) =>
  ({ Rows: 'number', size: 'number', StudyDate: 'string', AccessionNumber: 'string' })[field] as
    'number' | 'string' | undefined;

describe('parseSearchTerm', () => {
  it('reads every operator', () => {
    expect(parseSearchTerm('Modality=CT')).toEqual({ field: 'Modality', op: '=', value: 'CT' });
    expect(parseSearchTerm('Rows>=512')).toEqual({ field: 'Rows', op: '>=', value: 512 });
    expect(parseSearchTerm('Rows<=512')).toEqual({ field: 'Rows', op: '<=', value: 512 });
    expect(parseSearchTerm('Rows>1')).toEqual({ field: 'Rows', op: '>', value: 1 });
    expect(parseSearchTerm('Rows<1.5')).toEqual({ field: 'Rows', op: '<', value: 1.5 });
  });

  it('types values: quotes force strings, then the field type, then the look of the value', () => {
    expect(parseSearchTerm('X="512"').value).toBe('512');
    expect(parseSearchTerm('X=""').value).toBe('');
    expect(parseSearchTerm('X=512').value).toBe(512);
    expect(parseSearchTerm('X=-1e3').value).toBe(-1000);
    expect(parseSearchTerm('X=0512').value).toBe('0512');
    expect(parseSearchTerm('X=true').value).toBe(true);
    expect(parseSearchTerm('X=null').value).toBeNull();
    expect(parseSearchTerm('X=a=b').value).toBe('a=b');
    expect(parseSearchTerm('SeriesDescription=T1 axial').value).toBe('T1 axial');
    const types = (field: string) =>
      field === 'StudyDate' ? 'string' : field === 'Rows' ? 'number' : undefined;
    expect(parseSearchTerm('StudyDate=20100101', types).value).toBe('20100101');
    expect(parseSearchTerm('StudyDate>=20100101', types)).toEqual({
      field: 'StudyDate',
      op: '>=',
      value: '20100101',
    });
    expect(parseSearchTerm('Rows=512', types).value).toBe(512);
  });

  it('types a value by the type its field is known to have', () => {
    expect(parseSearchTerm('StudyDate=20100101', fieldType).value).toBe('20100101');
    expect(parseSearchTerm('AccessionNumber=123', fieldType).value).toBe('123');
    expect(parseSearchTerm('Rows=512', fieldType).value).toBe(512);
    expect(parseSearchTerm('size>1000', fieldType).value).toBe(1000);
  });

  it('names the term and the problem', () => {
    expect(() => parseSearchTerm('Modality')).toThrow(
      'invalid search term "Modality": expected FIELD=VALUE, FIELD>VALUE, FIELD<VALUE, FIELD>=VALUE or FIELD<=VALUE',
    );
    expect(() => parseSearchTerm('Mod-ality=CT')).toThrow(/expected FIELD=VALUE/);
    expect(() => parseSearchTerm('Modality=')).toThrow(
      'invalid search term "Modality=": the value is empty (write FIELD="" to search for an empty string)',
    );
    expect(() => parseSearchTerm('Modality==CT')).toThrow(
      'invalid search term "Modality==CT": the value starts with "=", likely a typo (to search for it as written: Modality="=CT")',
    );
    expect(() => parseSearchTerm('Rows=>5')).toThrow(/starts with ">"/);
    expect(parseSearchTerm('Modality="=CT"')).toEqual({ field: 'Modality', op: '=', value: '=CT' });
    expect(() => parseSearchTerm('Rows=big', fieldType)).toThrow(
      'invalid search term "Rows=big": Rows holds numbers, and "big" is not one',
    );
    expect(() => parseSearchTerm('X>true')).toThrow(
      'invalid search term "X>true": > compares strings or numbers only',
    );
    expect(() => parseSearchTerm('X="a')).not.toThrow();
    expect(() => parseSearchTerm('X="a\\"')).toThrow(
      'invalid search term "X=\\"a\\\\\\"": the quoted value is not a valid JSON string',
    );
    try {
      parseSearchTerm('Modality');
    } catch (err) {
      expect((err as { code: string }).code).toBe('InvalidArgument');
    }
  });
});

describe('parseAssignment', () => {
  it('types values as search does', () => {
    expect(parseAssignment('Site=Stanford')).toEqual(['Site', 'Stanford']);
    expect(parseAssignment('Cohort=7')).toEqual(['Cohort', 7]);
    expect(parseAssignment('Cohort="7"')).toEqual(['Cohort', '7']);
    expect(parseAssignment('StudyDate=20100101', fieldType)).toEqual(['StudyDate', '20100101']);
    expect(() => parseAssignment('no equals')).toThrow(
      'invalid metadata "no equals": expected FIELD=VALUE with FIELD of letters, digits and _',
    );
  });
});
