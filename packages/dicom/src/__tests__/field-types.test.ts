import { parseSearchTerm } from '@som/core';
import { fieldType } from '../field-types';

describe('fieldType', () => {
  it('knows the types of the fields som writes', () => {
    expect(parseSearchTerm('StudyDate=20100101', fieldType).value).toBe('20100101');
    expect(parseSearchTerm('AccessionNumber=123', fieldType).value).toBe('123');
    expect(parseSearchTerm('Rows=512', fieldType).value).toBe(512);
    expect(parseSearchTerm('SliceThickness=2.5', fieldType).value).toBe(2.5);
    expect(parseSearchTerm('PixelSpacing=0.7\\0.7', fieldType).value).toBe('0.7\\0.7');
    expect(parseSearchTerm('size>1000', fieldType).value).toBe(1000);
    expect(parseSearchTerm('Modalities=CT,MR', fieldType).value).toBe('CT,MR');
    expect(parseSearchTerm('NumberOfImages>2', fieldType).value).toBe(2);
    expect(parseSearchTerm('md5=123', fieldType).value).toBe('123');
  });

  it('knows the study and series summary fields', () => {
    expect(fieldType('ModalitiesInStudy')).toBe('string');
    expect(fieldType('NumberOfStudyRelatedInstances')).toBe('number');
    expect(fieldType('NumberOfSeriesRelatedInstances')).toBe('number');
    expect(parseSearchTerm('MiddleImage=123', fieldType).value).toBe('123');
  });

  it('leaves unknown fields and sequences untyped', () => {
    expect(fieldType('Cohort')).toBeUndefined();
    expect(fieldType('ReferencedImageSequence')).toBeUndefined();
  });

  it('rejects a number field given text, naming it', () => {
    expect(() => parseSearchTerm('Rows=big', fieldType)).toThrow(
      'invalid search term "Rows=big": Rows holds numbers, and "big" is not one',
    );
  });
});
