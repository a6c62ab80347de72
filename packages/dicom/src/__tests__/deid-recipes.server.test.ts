/**
 * Every recipe of pydicom/deid in ../shared/data/deid-recipes, unedited, over the default
 * profile, de-identifies som's sample and a generated corpus (make_corpus.py): each file is
 * written (pydicom reads it back, with the input's pixel bytes) or quarantined by the
 * recipe's own pixel filter, never failed. The func: and var: recipes run with the test
 * functions module and variables file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  defaultRecipe,
  deidentify,
  isQuarantine,
  layerRecipes,
  loadRecipeFunctions,
  loadRecipeVariables,
  parseRecipe,
  readDicomHeader,
  variablesFor,
} from '..';
import { FIXTURES, PYTHON, pydicomCheck, walk } from './checkers';
import { DEID_RECIPES } from './fixtures';

const SAMPLE = join(__dirname, '..', '..', '..', '..', 'sample', 'dicom');
const work = mkdtempSync(join(tmpdir(), 'som-deid-recipes-'));
const corpus = join(work, 'corpus');
execFileSync(PYTHON, [
  join(FIXTURES, 'make_corpus.py'),
  '--out',
  corpus,
  '--patients',
  '2',
  '--studies',
  '1',
  '--series',
  '1',
  '--images',
  '2',
  '--size',
  '64',
  '--large-patients',
  '1',
  '--large-images',
  '1',
]);
const inputs = [...walk(SAMPLE), ...walk(corpus).filter((p) => p.endsWith('.dcm'))];
const functions = loadRecipeFunctions(join(FIXTURES, 'deid', 'functions.cjs'));

const names = [
  'deid.dicom',
  'deid.dicom.ultrasound',
  'deid.dicom.xray.chest',
  'deid.dicom-groups',
  'deid.dicom-private-creator-syntax',
  'deid.dicom-pusheen',
  'examples-deid.dicom',
  'header-manipulation.deid.dicom',
];

describe.each(names)('%s over the default profile', (name) => {
  it('writes or quarantines every file of the sample and a generated corpus', async () => {
    const recipe = layerRecipes(
      parseRecipe(readFileSync(join(DEID_RECIPES, name), 'utf8'), name),
      defaultRecipe({}),
    );
    const table = await loadRecipeVariables(join(FIXTURES, 'deid', 'variables.json'));
    const out = mkdtempSync(join(work, 'out-'));
    const written: string[] = [];
    const inputsWritten: string[] = [];
    let quarantined = 0;
    let total = 0;
    for (const input of inputs) {
      const bytes = readFileSync(input);
      const header = readDicomHeader(bytes, input);
      try {
        const result = deidentify(bytes, {
          source: input,
          recipe,
          uidKey: 'recipes',
          aliases: {
            entity: { id: 'x', id_source: 'DICOM PatientID', suid: 'ENT', jitter: -5, items: [] },
          },
          functions,
          variables: variablesFor(table, { path: input, header }),
          variableNames: table.names,
        });
        const path = join(out, relative(work, input).replace(/[\\/]/g, '_'));
        writeFileSync(path, result.bytes);
        // A file the recipe's filter cleaned has new pixels (pixels.server.test.ts checks them).
        if (!result.pixelCleaning) {
          written.push(path);
          inputsWritten.push(input);
        }
        total++;
      } catch (err) {
        if (!isQuarantine(err)) throw err;
        quarantined++;
      }
    }
    expect(total + quarantined).toBe(inputs.length);
    expect(total).toBeGreaterThan(0);
    const read = pydicomCheck(written);
    const original = pydicomCheck(inputsWritten, true);
    written.forEach((path, i) => {
      expect(read.get(path)).toMatchObject({ ok: true });
      expect(read.get(path)?.pixels).toBe(original.get(inputsWritten[i] ?? '')?.pixels);
    });
  });
});
