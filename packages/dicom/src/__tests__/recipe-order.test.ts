/**
 * Rules of a recipe apply as pydicom/deid applies them: in file order on the current value.
 * The cases restate the interactions deid's own tests expect (deid 0.4, tests of rule
 * interactions), one line pair each, on the engine's test file.
 */
import { type DeidResult } from '..';
import { identified, ORIGINAL, recipeOf, run, T } from './fixtures';

const MANUFACTURER = 0x00080070;
const PREGNANCY_STATUS = 0x001021c0;
const IDENTITY_REMOVED = 0x00120062;

/** The original file plus a Manufacturer. */
const file = () => identified([{ tag: MANUFACTURER, vr: 'LO', value: 'Maker' }]);

const valueOf = (result: DeidResult, tag: number): string | undefined => result.header.string(tag);

/** [first line, second line, attribute, expected value (undefined: absent)]. */
const CASES: [string, string, number, string | undefined][] = [
  ['ADD PatientIdentityRemoved No', 'ADD PatientIdentityRemoved Yes', IDENTITY_REMOVED, 'Yes'],
  ['ADD PregnancyStatus 1', 'BLANK PregnancyStatus', PREGNANCY_STATUS, ''],
  ['ADD StudyDate 20221128', 'JITTER StudyDate 5', T.StudyDate, '20221203'],
  ['ADD StudyDate 20221128', 'KEEP StudyDate', T.StudyDate, '20221128'],
  ['ADD StudyDate 20221128', 'REPLACE StudyDate 20221129', T.StudyDate, '20221129'],
  ['ADD StudyDate 20221128', 'REMOVE StudyDate', T.StudyDate, undefined],
  ['BLANK Manufacturer', 'ADD Manufacturer Testing', MANUFACTURER, 'Testing'],
  ['BLANK Manufacturer', 'BLANK Manufacturer', MANUFACTURER, ''],
  ['BLANK StudyDate', 'JITTER StudyDate 1', T.StudyDate, ''],
  ['BLANK Manufacturer', 'KEEP Manufacturer', MANUFACTURER, 'Maker'],
  ['BLANK Manufacturer', 'REPLACE Manufacturer Testing', MANUFACTURER, 'Testing'],
  ['BLANK StudyDate', 'REMOVE StudyDate', T.StudyDate, undefined],
  ['JITTER StudyDate 1', 'ADD StudyDate 20221129', T.StudyDate, '20221129'],
  ['JITTER StudyDate 1', 'BLANK StudyDate', T.StudyDate, ''],
  ['JITTER StudyDate 1', 'JITTER StudyDate 2', T.StudyDate, '20200318'],
  ['JITTER StudyDate 1', 'KEEP StudyDate', T.StudyDate, '20200315'],
  ['JITTER StudyDate 1', 'REPLACE StudyDate 20221129', T.StudyDate, '20221129'],
  ['JITTER StudyDate 1', 'REMOVE StudyDate', T.StudyDate, '20200316'],
  ['KEEP Manufacturer', 'ADD Manufacturer Testing', MANUFACTURER, 'Testing'],
  ['KEEP Manufacturer', 'BLANK Manufacturer', MANUFACTURER, 'Maker'],
  ['KEEP StudyDate', 'JITTER StudyDate 1', T.StudyDate, '20200315'],
  ['KEEP Manufacturer', 'KEEP Manufacturer', MANUFACTURER, 'Maker'],
  ['KEEP Manufacturer', 'REPLACE Manufacturer Testing', MANUFACTURER, 'Maker'],
  ['KEEP StudyDate', 'REMOVE StudyDate', T.StudyDate, '20200315'],
  ['KEEP startswith:Manu', 'REMOVE startswith:Manu', MANUFACTURER, 'Maker'],
  ['KEEP 00100010', 'REMOVE 00100010', T.PatientName, ORIGINAL.patientName],
  ['KEEP (0010,0010)', 'REMOVE (0010,0010)', T.PatientName, ORIGINAL.patientName],
  ['KEEP 00091001', 'REMOVE 00091001', T.PrivateValue, 'secret-private'],
  ['KEEP (0009,"ACME",01)', 'REMOVE (0009,"ACME",01)', T.PrivateValue, 'secret-private'],
  [
    'REPLACE Manufacturer TestingReplace',
    'ADD Manufacturer TestingAdd',
    MANUFACTURER,
    'TestingAdd',
  ],
  ['REPLACE Manufacturer TestingReplace', 'BLANK Manufacturer', MANUFACTURER, ''],
  ['REPLACE (0009,"ACME",01) TestingReplace', 'BLANK (0009,"ACME",01)', T.PrivateValue, ''],
  ['REPLACE StudyDate 20221128', 'JITTER StudyDate 5', T.StudyDate, '20221203'],
  ['REPLACE (0009,"ACME",01) 20221128', 'JITTER (0009,"ACME",01) 5', T.PrivateValue, '20221203'],
  ['REPLACE StudyDate 20221128', 'KEEP StudyDate', T.StudyDate, '20200315'],
  ['REPLACE StudyDate 20221128', 'REPLACE StudyDate 20221129', T.StudyDate, '20221129'],
  ['REPLACE StudyDate 20221128', 'REMOVE StudyDate', T.StudyDate, '20221128'],
  ['REPLACE startswith:StudyDat 20221128', 'REMOVE startswith:StudyDat', T.StudyDate, '20221128'],
  ['REPLACE (0009,"ACME",01) Hello', 'REMOVE (0009,"ACME",01)', T.PrivateValue, 'Hello'],
  ['REMOVE Manufacturer', 'ADD Manufacturer Testing', MANUFACTURER, 'Testing'],
  ['REMOVE Manufacturer', 'BLANK Manufacturer', MANUFACTURER, undefined],
  ['REMOVE StudyDate', 'JITTER StudyDate 1', T.StudyDate, '20200316'],
  ['REMOVE Manufacturer', 'KEEP Manufacturer', MANUFACTURER, 'Maker'],
  ['REMOVE Manufacturer', 'REPLACE Manufacturer Testing', MANUFACTURER, 'Testing'],
  ['REMOVE StudyDate', 'REMOVE StudyDate', T.StudyDate, undefined],
];

describe('rules apply in file order, as deid applies them', () => {
  it.each(CASES)('%s then %s', (first, second, tag, expected) => {
    const result = run(file(), recipeOf(`${first}\n${second}`, 'KEEP ALL'));
    expect(valueOf(result, tag)).toBe(expected);
  });

  it('a removed sequence takes its items with it; a blanked one keeps no item', () => {
    const removed = run(
      file(),
      recipeOf('REMOVE (0008,1140)\nREPLACE (0008,1155) 1.2.3', 'KEEP ALL'),
    );
    expect(removed.header.has(T.ReferencedImageSequence)).toBe(false);
    const blanked = run(
      file(),
      recipeOf('BLANK (0008,1140)\nREPLACE (0008,1155) 1.2.3', 'KEEP ALL'),
    );
    expect(blanked.header.has(T.ReferencedImageSequence)).toBe(true);
    expect(blanked.header.items(T.ReferencedImageSequence)).toHaveLength(0);
  });

  it('KEEP ALL keeps only what no other rule touched, and ADD still applies after it', () => {
    const result = run(
      file(),
      recipeOf(
        'KEEP ALL\nREMOVE PatientName\nREPLACE Manufacturer M2\nADD PatientIdentityRemoved YES',
      ),
    );
    expect(result.header.has(T.PatientName)).toBe(false);
    expect(valueOf(result, MANUFACTURER)).toBe('M2');
    expect(valueOf(result, IDENTITY_REMOVED)).toBe('YES');
    expect(valueOf(result, T.PatientID)).toBe(ORIGINAL.patientId);
  });

  it('a recipe that does nothing to an element leaves it to the next layer', () => {
    // The second layer's REMOVE applies: the first's JITTER of a missing variable declines.
    const result = run(
      file(),
      recipeOf('JITTER StudyDate func:none', 'REMOVE StudyDate\nKEEP ALL'),
      {
        functions: { none: () => undefined },
      },
    );
    expect(result.header.has(T.StudyDate)).toBe(false);
  });
});
