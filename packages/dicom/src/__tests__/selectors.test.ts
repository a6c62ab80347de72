/**
 * Field selectors beyond keywords and tags: pydicom's element names, private dictionary
 * names, deid's nested names, %values and %fields groups; and the tally of rules that
 * selected nothing over a run.
 */
import { parseRecipe, SelectorTally, layerRecipes } from '..';
import { identified, ORIGINAL, recipeOf, run, T } from './fixtures';

const REFERRING = 0x00080090;
const PERFORMING = 0x00081050;
const STUDY_DESCRIPTION = 0x00081030;
const GENIE_CREATOR = 0x00090011;
const GENIE_DATASET_UID = 0x0009111e;

const file = () =>
  identified([
    { tag: REFERRING, vr: 'PN', value: 'Ref^Doctor' },
    { tag: PERFORMING, vr: 'PN', value: 'Perf^Doctor' },
    { tag: STUDY_DESCRIPTION, vr: 'LO', value: `scan of ${ORIGINAL.patientId}` },
    { tag: GENIE_CREATOR, vr: 'LO', value: 'GEMS_GENIE_1' },
    { tag: GENIE_DATASET_UID, vr: 'UI', value: '1.2.3.99' },
  ]);

describe('selectors', () => {
  it("match pydicom's element names (contains:Physician's)", () => {
    const result = run(file(), recipeOf("REPLACE contains:Physician's X", 'KEEP ALL'));
    expect(result.header.string(REFERRING)).toBe('X');
    expect(result.header.string(PERFORMING)).toBe('X');
    expect(result.header.string(T.PatientName)).toBe(ORIGINAL.patientName);
  });

  it("match the private dictionary's names ([Dataset UID])", () => {
    const result = run(file(), recipeOf('REMOVE contains:^\\[Dataset', 'KEEP ALL'));
    expect(result.header.has(GENIE_DATASET_UID)).toBe(false);
    expect(result.header.string(T.PrivateValue)).toBe('secret-private');
  });

  it('match nested names and nested tag paths only where they point', () => {
    const result = run(
      file(),
      recipeOf(
        'REPLACE ReferencedImageSequence__ReferencedSOPInstanceUID 1.2.9\nREPLACE (0010,1002)__0__(0010,0020) OTHER\nREPLACE (0010,1002)__1__(0010,0021) NOT-THERE',
        'KEEP ALL',
      ),
    );
    expect(
      result.header.items(T.ReferencedImageSequence)[0]?.string(T.ReferencedSOPInstanceUID),
    ).toBe('1.2.9');
    const other = result.header.items(T.OtherPatientIDsSequence)[0];
    expect(other?.string(T.PatientID)).toBe('OTHER');
    expect(other?.string(T.IssuerOfPatientID)).toBe('ISSUER');
    expect(result.header.string(T.PatientID)).toBe(ORIGINAL.patientId);
  });

  it('select the elements holding a %values value, at any depth', () => {
    const recipe = layerRecipes(
      parseRecipe(
        '%values ids\nFIELD PatientID\n%header\nREPLACE values:ids MATCHED\n',
        'v.recipe',
      ),
      recipeOf('KEEP ALL'),
    );
    const result = run(file(), recipe);
    // PatientID (top level and in OtherPatientIDsSequence) are both read into the list.
    expect(result.header.string(T.PatientID)).toBe('MATCHED');
    expect(result.header.string(STUDY_DESCRIPTION)).toBe('MATCHED');
    expect(result.header.items(T.OtherPatientIDsSequence)[0]?.string(T.PatientID)).toBe('MATCHED');
    expect(result.header.string(T.PatientName)).toBe(ORIGINAL.patientName);
  });

  it('split values into words for SPLIT (by, minlength)', () => {
    const recipe = layerRecipes(
      parseRecipe(
        '%values names\nSPLIT PatientName by="^";minlength=4\n%header\nREMOVE values:names\n',
        'v.recipe',
      ),
      recipeOf('KEEP ALL'),
    );
    const result = run(file(), recipe);
    // "Doe" is shorter than 4: only "John" is a value; PatientName holds it.
    expect(result.header.has(T.PatientName)).toBe(false);
    expect(result.header.string(REFERRING)).toBe('Ref^Doctor');
  });

  it('select the fields of a %fields group', () => {
    const recipe = layerRecipes(
      parseRecipe(
        '%fields f\nFIELD startswith:Accession\nFIELD PatientBirthDate\n%header\nREMOVE fields:f\n',
        'f.recipe',
      ),
      recipeOf('KEEP ALL'),
    );
    const result = run(file(), recipe);
    expect(result.header.has(T.AccessionNumber)).toBe(false);
    expect(result.header.has(T.PatientBirthDate)).toBe(false);
    expect(result.header.string(T.PatientID)).toBe(ORIGINAL.patientId);
  });
});

describe('SelectorTally', () => {
  it('lists, once, the rules that selected nothing in any file', () => {
    const recipe = layerRecipes(
      parseRecipe(
        '%header\nREMOVE OperatorsName\nREMOVE PatientName\nREMOVE contains:Nothing_Here\nREMOVE PatientsName\nADD PatientIdentityRemoved YES\n',
        'my.recipe',
      ),
      recipeOf('KEEP ALL'),
    );
    const tally = new SelectorTally(recipe);
    tally.record(run(file(), recipe).matchedRules);
    tally.record(run(identified(), recipe).matchedRules);
    expect(tally.unmatched()).toEqual([
      'my.recipe line 2: REMOVE OperatorsName selected nothing in any file',
      'my.recipe line 4: REMOVE contains:Nothing_Here selected nothing in any file',
    ]);
  });
});
