import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SomError } from '@som/core';
import { defaultPixelFilter } from '@som/dicom';
import { checkRecipeReferences, loadRecipeSettings, type RecipeSettings } from './settings';

/** The message of the InvalidArgument that checking `settings` throws. */
function refusal(settings: RecipeSettings): string {
  try {
    checkRecipeReferences(settings);
  } catch (err) {
    expect(err).toBeInstanceOf(SomError);
    expect((err as SomError).code).toBe('InvalidArgument');
    return (err as SomError).message;
  }
  throw new Error('checkRecipeReferences accepted the settings');
}

describe('the de-identification settings of a run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'som-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  }

  it("screens with the default filter, the recipe's own %filter, or nothing", async () => {
    const plain = file('plain.recipe', 'FORMAT dicom\n%header\nREMOVE Manufacturer\n');
    const filtered = file(
      'filtered.recipe',
      'FORMAT dicom\n%filter blacklist\nLABEL Any CT\n  contains Modality CT\n%header\nREMOVE Manufacturer\n',
    );
    expect((await loadRecipeSettings({ pixelFilter: 'default' })).pixelFilter).toBe(
      defaultPixelFilter(),
    );
    expect(
      (await loadRecipeSettings({ pixelFilter: 'default', recipeFile: plain })).pixelFilter,
    ).toBe(defaultPixelFilter());
    const own = await loadRecipeSettings({ pixelFilter: 'default', recipeFile: filtered });
    expect('pixelFilter' in own).toBe(false);
    expect(own.recipe.pixelFilter?.sections.map((s) => s.name)).toEqual(['blacklist']);
    expect(
      (await loadRecipeSettings({ pixelFilter: 'none', recipeFile: filtered })).pixelFilter,
    ).toBeNull();
  });

  it('names every var: and func: that nothing gives, with the lines using them', async () => {
    const recipe = file(
      'my.recipe',
      'FORMAT dicom\n%header\nREPLACE PatientID var:site\nREPLACE StudyID var:entity_id\nREPLACE Manufacturer var:site\nREPLACE InstitutionName func:institution\n',
    );
    const settings = await loadRecipeSettings({ pixelFilter: 'none', recipeFile: recipe });
    expect(refusal(settings).split('\n')).toEqual([
      `${recipe} line 3, ${recipe} line 5: unknown variable var:site (the aliases give entity_id, item_id, jitter, entity_timestamp, item_timestamp; others come from a variables file, --vars)`,
      `${recipe} line 6: unknown function func:institution (no functions module was given, --functions)`,
    ]);
    const withFiles = await loadRecipeSettings({
      pixelFilter: 'none',
      recipeFile: recipe,
      variablesFile: file('vars.csv', 'entity,site\nP1,North\n'),
      functionsFile: file('functions.cjs', 'exports.institution = () => "X";\n'),
    });
    expect(() => checkRecipeReferences(withFiles)).not.toThrow();
    const other = await loadRecipeSettings({
      pixelFilter: 'none',
      recipeFile: recipe,
      variablesFile: join(dir, 'vars.csv'),
      functionsFile: file('other.cjs', 'exports.other = () => "X";\n'),
    });
    expect(refusal(other)).toBe(
      `${recipe} line 6: unknown function func:institution (the functions module does not export it)`,
    );
  });

  it('names a functions module or variables file that cannot be read', async () => {
    await expect(
      loadRecipeSettings({ pixelFilter: 'none', variablesFile: join(dir, 'missing.csv') }),
    ).rejects.toThrow(`variables file ${join(dir, 'missing.csv')} does not exist`);
    await expect(
      loadRecipeSettings({ pixelFilter: 'none', functionsFile: join(dir, 'missing.js') }),
    ).rejects.toThrow(`functions module ${join(dir, 'missing.js')} does not exist`);
  });
});
