/**
 * The pixel safeguards through the built `som`: by default the default pixel filter
 * quarantines a file marked BurnedInAnnotation YES (never stored or written, exit code 3,
 * the report naming the filter section and label) and blanks the known region of a GE
 * dose report (checked by pydicom + numpy); every file not flagged keeps its pixel data
 * byte for byte through upload and get. `--pixel-filter none` turns the screening off;
 * `--pixel-text detect|redact` runs Debian's tesseract, and says which packages to install
 * when it is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  PYTHON,
  ROOT,
  json,
  makeFixtures,
  pydicomValues,
  removeDir,
  som,
  tempDir,
  type JsonReport,
  type ReportEntry,
} from './fixtures/som';

jest.setTimeout(120_000);

const PIXEL_CHECK = join(ROOT, 'packages', 'dicom', 'test-fixtures', 'pixel_check.py');

let fixtures: string;
let cwd: string;
beforeAll(() => {
  fixtures = tempDir('pixel-fixtures');
  makeFixtures('pixels', fixtures);
});
afterAll(() => removeDir(fixtures));
beforeEach(() => {
  cwd = tempDir('pixels');
});
afterEach(() => removeDir(cwd));

const input = (name: string): string => join(fixtures, name);

function entryOf(report: JsonReport, name: string): ReportEntry | undefined {
  return report.files.find((f) => f.path === input(name));
}

/** pydicom + numpy: whether `out`'s pixels are zero inside the rectangles and equal to `src`'s elsewhere. */
function pixelCheck(
  src: string,
  out: string,
  rects: number[],
): { zeroed: boolean; identical: boolean; hadValuesInside: boolean; burnedIn: string } {
  const args = [PIXEL_CHECK, 'verify', src, out, ...rects.map(String)];
  return JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8' })) as ReturnType<
    typeof pixelCheck
  >;
}

describe('the pixel safeguards of som upload and som deid', () => {
  it('upload: quarantines what the default filter blacklists, cleans what it graylists, keeps every other pixel', async () => {
    const inputs = [input('plain'), input('flagged')];
    const result = await som(['upload', ...inputs, '--collection', 'px', '--json'], { cwd });
    expect(result.code).toBe(3);
    const report = json<JsonReport>(result);
    expect(report.summary.counts).toMatchObject({ written: 3, quarantined: 1, failed: 0 });
    expect(entryOf(report, 'flagged/burned.dcm')).toMatchObject({
      outcome: 'quarantined',
      quarantine: { reason: 'blacklisted', section: 'blacklist', label: 'Burned In Annotation' },
      reason: expect.stringContaining('blacklist, label "Burned In Annotation"'),
    });
    expect(entryOf(report, 'flagged/burned.dcm')?.image).toBeUndefined();
    expect(entryOf(report, 'flagged/dose-report.dcm')).toMatchObject({
      outcome: 'written',
      pixels: { section: 'graylist', labels: ['Dose Report'], redacted: false },
    });
    expect(entryOf(report, 'plain/a1.dcm')?.pixels).toBeUndefined();
    expect(result.stderr).toMatch(
      /som: 1 file was quarantined[^\n]*\n {2}quarantined {2}[^\n]*flagged\/burned\.dcm: flagged by the pixel filter's blacklist, label "Burned In Annotation"/,
    );

    // What was stored: every image but the quarantined one, fetched back with `som get`.
    const stored = report.files.filter((f) => f.outcome === 'written');
    const out = join(cwd, 'got');
    for (const entity of new Set(stored.map((f) => f.entity ?? '')))
      expect((await som(['get', 'px', entity, '--out', out], { cwd })).code).toBe(0);
    const got = (entry: ReportEntry): string =>
      join(out, entry.entity ?? '', `${entry.image ?? ''}.dcm`);
    expect(readdirSync(out).flatMap((e) => readdirSync(join(out, e)))).toHaveLength(3);
    const after = pydicomValues(stored.map(got), ['BurnedInAnnotation']);
    const before = pydicomValues(
      stored.map((f) => f.path),
      [],
    );
    for (const entry of stored.filter((f) => f.pixels === undefined))
      expect(after.get(got(entry))?.PixelData).toBe(before.get(entry.path)?.PixelData);
    // The default filter's "Dose Report" label blanks ctpcoordinates 0,0,512,110.
    const dose = entryOf(report, 'flagged/dose-report.dcm') as ReportEntry;
    expect(pixelCheck(input('flagged/dose-report.dcm'), got(dose), [0, 0, 512, 110])).toEqual(
      expect.objectContaining({
        zeroed: true,
        identical: true,
        hadValuesInside: true,
        burnedIn: 'NO',
      }),
    );

    // A failure besides a quarantine is a failure: exit code 1.
    const mixed = await som(
      ['upload', input('flagged'), join(cwd, 'missing'), '--collection', 'px'],
      {
        cwd,
      },
    );
    expect(mixed.code).toBe(1);

    // The screening turned off: the file goes in, and a rerun changes nothing else.
    const off = await som(
      ['upload', ...inputs, '--collection', 'px', '--pixel-filter', 'none', '--json'],
      { cwd },
    );
    expect(off.code).toBe(0);
    const again = json<JsonReport>(off);
    expect(entryOf(again, 'flagged/burned.dcm')?.outcome).toBe('written');
    expect(entryOf(again, 'plain/a1.dcm')?.outcome).toBe('unchanged');
    // Not cleaned any more: the dose report's pixels are its own again.
    expect(entryOf(again, 'flagged/dose-report.dcm')).toMatchObject({ outcome: 'written' });
    expect(entryOf(again, 'flagged/dose-report.dcm')?.pixels).toBeUndefined();
  });

  it('deid: writes no quarantined file and records the cleaned one in its report (worker threads)', async () => {
    const result = await som(['deid', fixtures, '--out', 'out', '--json'], {
      cwd,
      env: { SOM_WORKERS: '2' },
    });
    expect(result.code).toBe(3);
    const report = json<JsonReport>(result);
    expect(report.summary.counts).toMatchObject({ written: 4, quarantined: 1 });
    const out = join(cwd, 'out');
    expect(existsSync(join(out, 'flagged', 'burned.dcm'))).toBe(false);
    expect(existsSync(join(out, 'flagged', 'dose-report.dcm'))).toBe(true);
    const saved = JSON.parse(readFileSync(join(out, 'som-report.json'), 'utf8')) as JsonReport;
    expect(entryOf(saved, 'flagged/burned.dcm')?.quarantine).toEqual({
      reason: 'blacklisted',
      section: 'blacklist',
      label: 'Burned In Annotation',
    });
    expect(entryOf(saved, 'flagged/dose-report.dcm')?.pixels?.labels).toEqual(['Dose Report']);
  });

  it('--pixel-text detect quarantines a file with burned-in text, redact blanks it', async () => {
    const text = input('text/annotated.dcm');
    const detect = await som(['deid', text, '--out', 'd', '--pixel-text', 'detect', '--json'], {
      cwd,
    });
    expect(detect.code).toBe(3);
    expect(json<JsonReport>(detect).files[0]).toMatchObject({
      outcome: 'quarantined',
      quarantine: { reason: 'burned-in-text' },
      reason: expect.stringMatching(/^OCR found \d+ words? of burned-in text in 1 of its 1 frame$/),
    });
    expect(existsSync(join(cwd, 'd', 'annotated.dcm'))).toBe(false);

    const redact = await som(['deid', text, '--out', 'r', '--pixel-text', 'redact', '--json'], {
      cwd,
    });
    expect(redact.code).toBe(0);
    expect(json<JsonReport>(redact).files[0]).toMatchObject({
      outcome: 'written',
      pixels: { labels: [], redacted: true },
    });
    const redacted = join(cwd, 'r', 'annotated.dcm');
    // The text's rows (drawn at 12-70 px from the top) changed, the rest of the image did not.
    expect(pixelCheck(text, redacted, [0, 0, 256, 80])).toMatchObject({ identical: true });
    expect(pydicomValues([redacted], []).get(redacted)?.PixelData).not.toBe(
      pydicomValues([text], []).get(text)?.PixelData,
    );
    // Read again, the redacted file shows no text.
    const recheck = await som(['deid', redacted, '--out', 'rr', '--pixel-text', 'detect'], {
      cwd,
    });
    expect(recheck.code).toBe(0);
  });

  it('a shard ends as done with a quarantine; som finalize reports it with exit code 3', async () => {
    const env = { SOM_SECRET: 'the key of the pixel shard test' };
    const planned = await som(
      [
        'plan',
        input('plain'),
        input('flagged'),
        '--collection',
        'px',
        '--shards',
        '1',
        '--out',
        'plan',
      ],
      { cwd, env },
    );
    expect(planned.code).toBe(0);
    const shard = await som(['upload', '--plan', 'plan', '--shard', '0', '--json'], { cwd, env });
    expect(shard.code).toBe(0);
    expect(json<JsonReport>(shard).summary.counts).toMatchObject({ written: 3, quarantined: 1 });
    const finalize = await som(['finalize', '--plan', 'plan', '--json'], { cwd, env });
    expect(finalize.code).toBe(3);
    expect(json<{ failed: ReportEntry[] }>(finalize).failed).toEqual([
      expect.objectContaining({
        path: input('flagged/burned.dcm'),
        outcome: 'quarantined',
        quarantine: { reason: 'blacklisted', section: 'blacklist', label: 'Burned In Annotation' },
      }),
    ]);
  });

  it('--pixel-text without tesseract: one message naming the Debian packages, nothing read', async () => {
    const result = await som(['deid', fixtures, '--out', 'out', '--pixel-text', 'detect'], {
      cwd,
      env: { PATH: join(cwd, 'empty') },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'som: error: OCR needs tesseract, which is not installed: install the Debian packages tesseract-ocr and tesseract-ocr-eng\n',
    );
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });
});
