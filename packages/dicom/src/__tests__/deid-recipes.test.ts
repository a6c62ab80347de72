/**
 * pydicom/deid's own recipes (its shipped recipes and its examples, in ../shared, unedited)
 * load, warn about the lines deid ignores, and de-identify a file; the func: and var:
 * ones with a functions module and a variables file of the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultRecipe,
  layerRecipes,
  loadRecipeFunctions,
  loadRecipeVariables,
  parseRecipe,
  type Recipe,
  variablesFor,
} from '..';
import { parseDicom } from '../reader';
import { DicomHeader } from '../header';
import { part10, EXPLICIT_LE } from './builder';
import { DEID_RECIPES, identified, ORIGINAL, run, T } from './fixtures';

const FIXTURES = join(__dirname, '..', '..', 'test-fixtures', 'deid');

function load(name: string): Recipe {
  return parseRecipe(readFileSync(join(DEID_RECIPES, name), 'utf8'), name);
}

describe("deid's recipes", () => {
  const names = readdirSync(DEID_RECIPES).filter((n) => n !== 'LICENSE' && n !== 'README.md');

  it('are all here', () => {
    expect(names.sort()).toEqual([
      'deid.dicom',
      'deid.dicom-groups',
      'deid.dicom-private-creator-syntax',
      'deid.dicom-pusheen',
      'deid.dicom.ultrasound',
      'deid.dicom.xray.chest',
      'examples-deid.dicom',
      'header-manipulation.deid.dicom',
    ]);
  });

  it('deid.dicom loads with one warning per line deid ignores', () => {
    const recipe = load('deid.dicom');
    expect(recipe.warnings).toEqual([
      'deid.dicom line 490: Manfacturer: no attribute has this name; the filter takes it as always missing',
      'deid.dicom line 497: Manfacturer: no attribute has this name; the filter takes it as always missing',
      'deid.dicom line 504: Manufacture: no attribute has this name; the filter takes it as always missing',
      'deid.dicom line 840: REMOVE PatientsName: no attribute has this name; the line does nothing',
      'deid.dicom line 897: REMOVE jitter: no attribute has this name; the line does nothing',
    ]);
    expect(recipe.pixelFilter?.sections.map((s) => s.kind)).toEqual([
      'whitelist',
      'graylist',
      'blacklist',
    ]);
  });

  it.each([
    'deid.dicom',
    'deid.dicom.ultrasound',
    'deid.dicom.xray.chest',
    'deid.dicom-private-creator-syntax',
  ])('%s de-identifies a file over the default profile', (name) => {
    const result = run(identified(), layerRecipes(load(name), defaultRecipe({})), {
      pixelFilter: null,
    });
    expect(result.header.has(T.PatientName)).toBe(
      name === 'deid.dicom.xray.chest' || name.endsWith('syntax'),
    );
    expect(result.header.string(T.PatientName)).not.toBe(ORIGINAL.patientName);
    expect(result.header.string(T.PatientID)).toBe('ENT-1');
  });

  it('deid.dicom adds its values from the aliases and removes what it lists', () => {
    const result = run(identified(), layerRecipes(load('deid.dicom'), defaultRecipe({})), {
      pixelFilter: null,
    });
    expect(result.header.string(T.IssuerOfPatientID)).toBe('STARR');
    expect(result.header.string(T.AccessionNumber)).toBe('ITEM-1');
    expect(result.header.string(0x00120062)).toBe('YES');
    // REMOVE endswith:Date, then ADD StudyDate var:item_timestamp: the aliases have no timestamp.
    expect(result.header.has(T.StudyDate)).toBe(false);
    // REMOVE endswith:Time catches AcquisitionDateTime as well.
    expect(result.header.has(T.AcquisitionDateTime)).toBe(false);
    expect(result.header.has(T.StudyTime)).toBe(false);
  });

  it('the func: recipes run with a functions module', () => {
    const functions = loadRecipeFunctions(join(FIXTURES, 'functions.cjs'));
    const pusheen = run(identified(), layerRecipes(load('deid.dicom-pusheen'), defaultRecipe({})), {
      functions,
    });
    expect(pusheen.header.string(T.PatientName)).toBe('pusheen');
    expect(pusheen.header.string(T.Modality)).toBe('pusheen');
    const header = run(
      identified(),
      layerRecipes(load('header-manipulation.deid.dicom'), defaultRecipe({})),
      {
        functions,
      },
    );
    expect(header.header.string(T.StudyInstanceUID)).toMatch(/^2\.25\.\d+$/);
    expect(header.header.string(T.StudyInstanceUID)).not.toBe(ORIGINAL.studyUid);
    expect(header.header.string(0x00200052)).toMatch(/^2\.25\.\d+$/);
  });

  it('the var: recipes run with a variables file, per entity', async () => {
    const table = await loadRecipeVariables(join(FIXTURES, 'variables.json'));
    const file = part10(identified(), '1.2.840.10008.1.2.1', EXPLICIT_LE);
    const variables = variablesFor(table, {
      path: 'a.dcm',
      header: new DicomHeader(parseDicom(file, 'a.dcm')),
    });
    expect(variables).toEqual({ id: 'cookie-monster', source_id: '1.2.3.4.999' });
    const example = run(
      identified(),
      layerRecipes(load('examples-deid.dicom'), defaultRecipe({})),
      {
        variables,
        pixelFilter: null,
      },
    );
    expect(example.header.string(T.PatientID)).toBe('cookie-monster');
    expect(example.sopInstanceUid).toBe('1.2.3.4.999');
    const groups = run(identified(), layerRecipes(load('deid.dicom-groups'), defaultRecipe({})), {
      variables,
    });
    // %values cookie_names: the words of PatientID (PID123) of at least 4 characters; PatientID holds one.
    expect(groups.header.string(T.PatientID)).toBe('cookie-monster');
    // %fields instance_fields: every field whose name contains "Instance" is removed.
    expect(groups.header.has(T.StudyInstanceUID)).toBe(false);
    expect(groups.header.has(T.SOPInstanceUID)).toBe(false);
  });

  it('a variable the table has for other entities declines for this one', () => {
    const recipe = layerRecipes(
      parseRecipe('%header\nREPLACE PatientID var:id\n', 'v.recipe'),
      defaultRecipe({}),
    );
    const result = run(identified(), recipe, { variables: {}, variableNames: ['id'] });
    expect(result.header.string(T.PatientID)).toBe('ENT-1');
    expect(() => run(identified(), recipe, { variables: {} })).toThrow(/unknown variable var:id/);
  });
});
