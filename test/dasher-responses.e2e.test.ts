/**
 * DASHER responses as they exist and one key per collection, through the real `som` binary:
 * a response shaped like the original pipeline's (items keyed by AccessionNumber,
 * `"id_source": "DCM Accession #"`, jitters as numbers and as strings, timestamps with `Z`
 * and with offsets) over a generated multi-patient corpus de-identifies every file with the
 * response's aliases and jitter, checked with pydicom; and a collection refuses files
 * pseudonymised another way.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  json,
  makeFixtures,
  removeDir,
  SAMPLE,
  som,
  tempDir,
  type JsonReport,
} from './fixtures/som';

jest.setTimeout(120_000);

const PATIENTS = 4;
const IMAGES = 3;

/** The response: item ids are accession numbers; one study of the last patient has no item. */
function sendItResponse(): unknown {
  const jitters: (number | string)[] = [-12, '7', ' -30 ', 15];
  const itemJitters: (number | string | undefined)[][] = [
    [undefined, undefined],
    ['-3', 4],
    [undefined, 9],
    [2, undefined],
  ];
  const stamps = ['2010-12-29T10:30:00Z', '2011-02-17T10:30:00-0700', '2011-03-01T00:00:00+0100'];
  return {
    results: Array.from({ length: PATIENTS }, (_, p) => ({
      id: `CORPUS-MRN-${7000 + p}`,
      id_source: 'Stanford MRN',
      suid: `SUBJ${p}X${p * 7}`,
      jitter: jitters[p],
      jittered_timestamp: stamps[p % stamps.length],
      items: [0, 1]
        .filter((s) => !(p === PATIENTS - 1 && s === 1))
        .map((s) => ({
          id: `ACC${7000 + p}-${s}`,
          id_source: 'DCM Accession #',
          suid: `ACCALIAS${p}${s}`,
          ...(itemJitters[p]?.[s] !== undefined ? { jitter: itemJitters[p]?.[s] } : {}),
          jittered_timestamp: stamps[(p + s) % stamps.length],
        })),
    })),
  };
}

/**
 * The oracle: for every pair of an input file and its de-identified output, what the
 * response says the output must hold (pydicom reads both), and what it holds. Prints JSON.
 */
const ORACLE = `
import datetime, json, sys, pydicom
response = json.load(open(sys.argv[1]))
pairs = json.load(open(sys.argv[2]))
results = {r['id']: r for r in response['results']}
out = []
for source, target in pairs:
    original = pydicom.dcmread(source)
    output = pydicom.dcmread(target)
    result = results[original.PatientID]
    items = {i['id']: i for i in result.get('items', [])}
    # An item identifies the file by its AccessionNumber, else its StudyInstanceUID, else its SOPInstanceUID.
    keys = [original.get('AccessionNumber', ''), original.StudyInstanceUID, original.SOPInstanceUID]
    item = next((items[k] for k in keys if k in items), None)
    jitter = int(str(item['jitter'] if item is not None and 'jitter' in item else result['jitter']).strip())
    date = datetime.datetime.strptime(original.StudyDate, '%Y%m%d') + datetime.timedelta(days=jitter)
    raw = open(target, 'rb').read()
    out.append({
        'file': source,
        'expected': [result['suid'], result['suid'], item['suid'] if item else '', date.strftime('%Y%m%d')],
        'actual': [output.PatientID, str(output.PatientName), output.get('AccessionNumber', ''), output.StudyDate],
        'leaks': [v for v in (original.PatientID, original.AccessionNumber, original.StudyInstanceUID) if v.encode() in raw],
    })
print(json.dumps(out))
`;

interface Checked {
  file: string;
  expected: string[];
  actual: string[];
  leaks: string[];
}

function oracle(cwd: string, pairs: [string, string][]): Checked[] {
  writeFileSync(join(cwd, 'pairs.json'), JSON.stringify(pairs));
  const printed = execFileSync('/usr/bin/python3', [
    '-c',
    ORACLE,
    join(cwd, 'ids.json'),
    join(cwd, 'pairs.json'),
  ]);
  return JSON.parse(printed.toString()) as Checked[];
}

function expectAliased(checked: Checked[]): void {
  expect(checked).toHaveLength(PATIENTS * 2 * IMAGES);
  for (const { file, expected, actual, leaks } of checked) {
    expect({ file, actual, leaks }).toEqual({ file, actual: expected, leaks: [] });
  }
}

describe('a DASHER response as the original pipeline wrote it', () => {
  let fixtures: string;
  let corpus: string;
  let cwd: string;
  beforeAll(() => {
    fixtures = tempDir('corpus');
    corpus = join(fixtures, 'corpus');
    makeFixtures('corpus', corpus, PATIENTS, IMAGES);
  });
  afterAll(() => removeDir(fixtures));
  beforeEach(() => {
    cwd = tempDir('dasher');
    writeFileSync(join(cwd, 'ids.json'), JSON.stringify(sendItResponse()));
  });
  afterEach(() => removeDir(cwd));

  it('som deid --ids de-identifies every file with its aliases and jitter', async () => {
    const out = join(cwd, 'out');
    const result = await som(['deid', corpus, '--out', out, '--ids', 'ids.json', '--json'], {
      cwd,
    });
    expect(result.stderr).toContain(
      `som: deid into ${out} (report: som-report.json): ${PATIENTS * 2 * IMAGES} files: ${PATIENTS * 2 * IMAGES} written, ${IMAGES} without an item alias\n`,
    );
    expect(result.stderr).not.toMatch(/error|warning/);
    expect(result.code).toBe(0);
    const report = json<JsonReport>(result);
    const without = report.files.filter((f) => f.noItemAlias === true).map((f) => f.path);
    expect(without.sort()).toEqual(
      [1, 2, 3].map((i) => join(corpus, `PAT0${PATIENTS - 1}`, 'ST2', `IM000${i}.dcm`)),
    );
    expectAliased(
      oracle(
        cwd,
        report.files.map((f) => [f.path, join(out, String(f.output))]),
      ),
    );
  });

  it('som upload --ids stores every file under its aliases; the objects hold them', async () => {
    const result = await som(
      ['upload', corpus, '--collection', 'c', '--ids', 'ids.json', '--json'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const report = json<JsonReport>(result);
    expect(report.summary.counts.written).toBe(PATIENTS * 2 * IMAGES);
    expect(new Set(report.files.map((f) => f.entity))).toEqual(
      new Set(Array.from({ length: PATIENTS }, (_, p) => `SUBJ${p}X${p * 7}`)),
    );
    const got = join(cwd, 'got');
    for (const entity of new Set(report.files.map((f) => String(f.entity))))
      expect((await som(['get', 'c', entity, '--out', got], { cwd })).code).toBe(0);
    expectAliased(
      oracle(
        cwd,
        report.files.map((f) => [f.path, join(got, String(f.entity), `${f.image}.dcm`)]),
      ),
    );
  });

  it('matches items whose id_source names no level by the identifier that has their id', async () => {
    const response = sendItResponse() as {
      results: { items: { id: string; id_source: string }[] }[];
    };
    for (const result of response.results)
      for (const item of result.items) item.id_source = 'Lab Result';
    // The first patient's first item by its study's uid instead of its accession number.
    const first = join(corpus, 'PAT00', 'ST1', 'IM0001.dcm');
    (response.results[0]?.items[0] as { id: string }).id = execFileSync('/usr/bin/python3', [
      '-c',
      'import pydicom, sys; print(pydicom.dcmread(sys.argv[1]).StudyInstanceUID)',
      first,
    ])
      .toString()
      .trim();
    writeFileSync(join(cwd, 'ids.json'), JSON.stringify(response));
    const out = join(cwd, 'out');
    const result = await som(['deid', corpus, '--out', out, '--ids', 'ids.json', '--json'], {
      cwd,
    });
    expect(result.code).toBe(0);
    const report = json<JsonReport>(result);
    expect(report.files.find((f) => f.path === first)?.item).toBe('ACCALIAS00');
    expectAliased(
      oracle(
        cwd,
        report.files.map((f) => [f.path, join(out, String(f.output))]),
      ),
    );
  });
});

describe('one key per collection', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = tempDir('one-key');
  });
  afterEach(() => removeDir(cwd));

  const objects = (): number =>
    readdirSync(join(cwd, 'som-data', 'objects', 'Collection'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.obj')).length;

  it('refuses another key or alias source before storing anything, unless --new-key', async () => {
    expect((await som(['upload', SAMPLE, '--collection', 'c'], { cwd })).code).toBe(0);
    const other = 'another-pseudonymisation-key-0123456789';
    const refused = await som(['upload', SAMPLE, '--collection', 'c', '--secret', other], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('collection "c"');
    expect(refused.stderr).toContain('--new-key');
    expect(refused.stderr).not.toContain(other);
    expect(objects()).toBe(7);
    expect(json<unknown[]>(await som(['ls', 'c', '--json'], { cwd }))).toHaveLength(3);

    const request = json<{ identifiers: { id: string; items: { id: string }[] }[] }>(
      await som(['identifiers', SAMPLE], { cwd }),
    );
    writeFileSync(
      join(cwd, 'ids.json'),
      JSON.stringify({
        results: request.identifiers.map((identifier, n) => ({
          id: identifier.id,
          suid: `patient-${n}`,
          jitter: 3,
          items: [],
        })),
      }),
    );
    const dasher = await som(['upload', SAMPLE, '--collection', 'c', '--ids', 'ids.json'], {
      cwd,
    });
    expect(dasher.code).toBe(1);
    expect(dasher.stderr).toMatch(/DASHER/);
    expect(dasher.stderr).toContain('--new-key');
    expect(objects()).toBe(7);

    const accepted = await som(
      ['upload', SAMPLE, '--collection', 'c', '--secret', other, '--new-key'],
      { cwd },
    );
    expect(accepted.code).toBe(0);
    expect(json<unknown[]>(await som(['ls', 'c', '--json'], { cwd }))).toHaveLength(6);
    // The collection now answers to the new key.
    const again = await som(['upload', SAMPLE, '--collection', 'c', '--secret', other, '--json'], {
      cwd,
    });
    expect(again.code).toBe(0);
    expect(json<JsonReport>(again).summary.counts).toMatchObject({ unchanged: 7 });
  });

  it('refuses a secret shorter than the key file minimum with exit 2', async () => {
    for (const env of [{ SOM_SECRET: 'short-secret' }, {}]) {
      const args = ['upload', SAMPLE, '--collection', 'c'];
      const result = await som(env.SOM_SECRET ? args : [...args, '--secret', 'short-secret'], {
        cwd,
        env,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('shorter than 32 characters');
      expect(result.stderr).not.toContain('short-secret');
      expect(readdirSync(cwd)).toEqual([]);
    }
  });
});
