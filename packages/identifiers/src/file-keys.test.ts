import { fileKeyAt, itemLevelOfSource } from './file-keys';

describe('itemLevelOfSource', () => {
  it.each([
    ['DCM Accession #', 'accession'],
    ['GE PACS Accession Number', 'accession'],
    ['AccessionNumber', 'accession'],
    ['DICOM AccessionNumber', 'accession'],
    ['accession_number', 'accession'],
    ['DICOM StudyInstanceUID', 'study'],
    ['Study', 'study'],
    ['STUDY UID', 'study'],
    ['DICOM SOPInstanceUID', 'image'],
    ['SOPInstanceUID', 'image'],
    ['Image', 'image'],
    ['instance uid', 'image'],
  ])('%j names %s items', (source, level) => {
    expect(itemLevelOfSource(source)).toBe(level);
  });

  it.each([
    ['Lab Result'],
    ['Stanford PACS'],
    ['Stanford MRN'],
    ['DICOM SeriesInstanceUID'],
    ['studyuid'], // one word: not "study"
    [''],
  ])('%j names no level', (source) => {
    expect(itemLevelOfSource(source)).toBeUndefined();
  });
});

describe('fileKeyAt', () => {
  it("gives a file's identifier of each level without DICOM padding, and none for a blank one", () => {
    const file = {
      entityId: 'P1',
      accessionNumber: 'A1 ',
      studyInstanceUid: '1.2.3\0',
      sopInstanceUid: '   ',
    };
    expect(fileKeyAt(file, 'accession')).toBe('A1');
    expect(fileKeyAt(file, 'study')).toBe('1.2.3');
    expect(fileKeyAt(file, 'image')).toBeUndefined();
    expect(fileKeyAt({ entityId: 'P1' }, 'study')).toBeUndefined();
  });
});
