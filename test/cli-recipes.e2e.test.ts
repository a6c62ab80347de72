/**
 * pydicom/deid's recipes, unedited, through the built `som deid --recipe` and `som upload
 * --recipe` over the demo sample and a generated corpus (the `func:` ones with a functions
 * module of these tests, the `var:` ones with a variables file): every file is written or
 * quarantined by the recipe's own pixel filter, pydicom reads every output with the input's
 * pixel bytes, the recipe's warnings are said once before the files and the rules that
 * selected nothing once after them (and in the report). And a recipe naming a variable
 * nothing gives is refused before any file is read.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEID_RECIPES,
  SAMPLE,
  json,
  makeCorpus,
  pydicomValues,
  removeDir,
  som,
  tempDir,
  type JsonReport,
  type SomResult,
} from './fixtures/som';

jest.setTimeout(120_000);

const FUNCTIONS = join(__dirname, 'fixtures', 'recipe-functions.cjs');

/** Every recipe of the shared folder: deid's shipped recipes and examples. */
const RECIPES = readdirSync(DEID_RECIPES).filter(
  (name) => !['LICENSE', 'README.md'].includes(name),
);

/** The flags every run takes: the functions module and the variables file. */
const EXTRA = ['--functions', FUNCTIONS, '--vars', 'vars.csv'];

let cwd: string;

beforeAll(() => {
  cwd = tempDir('recipes');
  cpSync(SAMPLE, join(cwd, 'in', 'sample'), { recursive: true });
  makeCorpus(join(cwd, 'in', 'corpus'));
  // deid.dicom-groups and examples-deid.dicom name var:id and var:source_id: one entity's
  // row gives the first, one file's row the second.
  const first = 'in/corpus/ct/PAT00/ST1/SE1/IM0001.dcm';
  const patient = pydicomValues([join(cwd, first)], ['PatientID']).get(join(cwd, first))?.PatientID;
  writeFileSync(
    join(cwd, 'vars.csv'),
    `entity,file,id,source_id\n${patient},,cookie-monster,\n,${first},,1.2.3.4.999\n`,
  );
});
afterAll(() => removeDir(cwd));

/** The lines of `text` that are exactly `line`. */
function count(text: string, line: string): number {
  return text.split('\n').filter((l) => l === line).length;
}

/** The warnings are said once each, before the rules that selected nothing, which come before the summary. */
function expectSaidOnce(result: SomResult, report: JsonReport, summaryLine: RegExp): void {
  const warnings = report.summary.recipeWarnings ?? [];
  const unmatched = report.summary.unmatchedSelectors ?? [];
  const at = (line: string): number => result.stderr.indexOf(`som: warning: ${line}\n`);
  const end = result.stderr.search(summaryLine);
  expect(end).toBeGreaterThanOrEqual(0);
  for (const line of [...warnings, ...unmatched])
    expect(count(result.stderr, `som: warning: ${line}`)).toBe(1);
  const lastWarning = Math.max(-1, ...warnings.map(at));
  const firstUnmatched = Math.min(end, ...unmatched.map(at));
  expect(lastWarning).toBeLessThan(firstUnmatched);
  expect(Math.max(-1, ...unmatched.map(at))).toBeLessThan(end);
  expect(result.stderr.match(/som: warning: /g)?.length ?? 0).toBe(
    warnings.length + unmatched.length,
  );
}

describe.each(RECIPES)('%s, unedited', (name) => {
  const recipe = (): string => join(DEID_RECIPES, name);

  it('som deid writes or quarantines every file; pydicom reads each output with its pixels', async () => {
    const out = join(cwd, `deid-${name}`);
    const result = await som(
      ['deid', 'in', '--out', out, '--recipe', recipe(), ...EXTRA, '--json'],
      {
        cwd,
      },
    );
    const report = json<JsonReport>(result);
    expect(report).toEqual(JSON.parse(readFileSync(join(out, 'som-report.json'), 'utf8')));
    const { written = 0, quarantined = 0 } = report.summary.counts;
    expect(written).toBeGreaterThan(0);
    expect(written + quarantined).toBe(report.summary.files);
    expect(result.code).toBe(quarantined > 0 ? 3 : 0);
    for (const entry of report.files.filter((f) => f.outcome === 'quarantined'))
      expect(entry.quarantine?.section).toBeDefined();
    expectSaidOnce(result, report, /^som: deid into /m);
    if (name === 'deid.dicom')
      expect(report.summary.recipeWarnings).toContainEqual(
        expect.stringMatching(/deid\.dicom line \d+: REMOVE PatientsName: no attribute/),
      );

    const outputs = report.files.filter((f) => f.outcome === 'written');
    // pydicom reads every output (it fails on one it cannot read).
    const read = pydicomValues(
      outputs.map((f) => join(out, f.output ?? '')),
      [],
    );
    const before = pydicomValues(
      outputs.map((f) => join(cwd, f.path)),
      [],
    );
    for (const entry of outputs) {
      const output = read.get(join(out, entry.output ?? ''));
      expect(output).toBeDefined();
      // A file the recipe's filter cleaned has new pixels; every other keeps its own.
      if (entry.pixels === undefined)
        expect(output?.PixelData).toBe(before.get(join(cwd, entry.path))?.PixelData);
    }
  });

  it('som upload stores every file it does not quarantine', async () => {
    const collection = `c-${name.replace(/[^A-Za-z0-9]/g, '')}`;
    const result = await som(
      ['upload', 'in', '--collection', collection, '--recipe', recipe(), ...EXTRA, '--json'],
      { cwd },
    );
    const report = json<JsonReport>(result);
    const { written = 0, quarantined = 0 } = report.summary.counts;
    expect(written).toBeGreaterThan(0);
    expect(written + quarantined).toBe(report.summary.files);
    expect(result.code).toBe(quarantined > 0 ? 3 : 0);
    expectSaidOnce(result, report, /^som: upload to collection /m);
    const stored = json<{ uid: string }[]>(
      await som(['search', '--collection', collection, '--limit', '1000', '--json'], { cwd }),
    );
    expect(stored.map((r) => r.uid).sort()).toEqual(
      report.files
        .filter((f) => f.outcome === 'written')
        .map((f) => f.image)
        .sort(),
    );
  });
});

describe('what a recipe names', () => {
  it('refuses a var: nothing gives, once, before any file is read', async () => {
    const dir = tempDir('unknown-var');
    try {
      writeFileSync(
        join(dir, 'my.recipe'),
        'FORMAT dicom\n%header\nREPLACE PatientID var:nosuch\nREPLACE StudyID var:nosuch\n',
      );
      const result = await som(
        ['deid', SAMPLE, '--out', 'out', '--recipe', 'my.recipe', '--vars', join(cwd, 'vars.csv')],
        { cwd: dir },
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^som: error: .*my\.recipe line 3, .*my\.recipe line 4: unknown variable var:nosuch \(the aliases give entity_id, item_id, jitter, entity_timestamp, item_timestamp; others come from a variables file, --vars\)$/,
        ),
      ]);
      expect(existsSync(join(dir, 'out'))).toBe(false);
      expect(existsSync(join(dir, 'som-data'))).toBe(false);
      const func = await som(
        [
          'upload',
          SAMPLE,
          '--collection',
          'c',
          '--recipe',
          join(DEID_RECIPES, 'deid.dicom-pusheen'),
        ],
        { cwd: dir },
      );
      expect(func.code).toBe(2);
      expect(func.stderr).toMatch(
        /deid\.dicom-pusheen line 8: unknown function func:pusheenize \(no functions module was given, --functions\)\n$/,
      );
    } finally {
      removeDir(dir);
    }
  });

  it('gives functions and per-entity and per-file variables to every worker thread', async () => {
    const dir = tempDir('vars');
    try {
      cpSync(SAMPLE, join(dir, 'in'), { recursive: true });
      const files = ['patient-a/IM0001.dcm', 'patient-a/IM0002.dcm', 'patient-b/IM0001.dcm'];
      const before = pydicomValues(
        files.map((f) => join(dir, 'in', f)),
        ['PatientID', 'StudyInstanceUID'],
      );
      const patientA = before.get(join(dir, 'in', files[0] ?? ''))?.PatientID;
      writeFileSync(
        join(dir, 'vars.json'),
        JSON.stringify({
          entities: { [patientA ?? '']: { site: 'North' } },
          files: { [`in/${files[1]}`]: { site: 'South' } },
        }),
      );
      writeFileSync(
        join(dir, 'my.recipe'),
        'FORMAT dicom\n%header\nREPLACE InstitutionName var:site\nREPLACE StudyInstanceUID func:generate_uid\n',
      );
      const result = await som(
        ['deid', 'in', '--out', 'out', '--recipe', 'my.recipe', '--vars', 'vars.json'].concat([
          '--functions',
          FUNCTIONS,
          '--json',
        ]),
        { cwd: dir, env: { SOM_WORKERS: '2' } },
      );
      expect(result.code).toBe(0);
      const report = json<JsonReport>(result);
      const after = pydicomValues(
        files.map((f) => join(dir, 'out', f)),
        ['InstitutionName', 'StudyInstanceUID'],
      );
      const site = (f: string): string | undefined =>
        after.get(join(dir, 'out', f))?.InstitutionName;
      expect([site(files[0] ?? ''), site(files[1] ?? ''), site(files[2] ?? '')]).toEqual([
        'North',
        'South',
        // No row for patient b: the rule does nothing, and the profile removes the name.
        '',
      ]);
      // generate_uid of the functions module, computed here again from the original values.
      for (const f of files) {
        const entity = report.files.find((e) => e.output === f)?.entity;
        const text = `StudyInstanceUID:${before.get(join(dir, 'in', f))?.StudyInstanceUID}:${entity}`;
        const digest = createHash('sha256').update(text).digest('hex').slice(0, 15);
        expect(after.get(join(dir, 'out', f))?.StudyInstanceUID).toBe(
          `2.25.${BigInt(`0x${digest}`)}`,
        );
      }
    } finally {
      removeDir(dir);
    }
  });
});
