/**
 * One bad file fails alone, through `som deid` and `som upload`: impossible dates, a file
 * cut before its pixel data, kept elements that swallow or impersonate identifying ones, a
 * de-identification thread dying, a file of more than 2 GiB, an error that stops the run,
 * Ctrl-C. Every time the run goes on, the report is written, no temporary file is left,
 * and no message holds a value from a file.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  json,
  makeFixtures,
  som,
  startSom,
  suiteDirectories,
  type JsonReport,
  type SomResult,
} from './fixtures/som';

jest.setTimeout(180_000);

const SECRET = ['--secret', 'the secret of the fail-alone tests'];

/** Identifying values of the fixtures (make-fixtures.py hostile): never in a message. */
const VALUES = [
  'SAMPLE-MRN-1001',
  'CALENDAR-1',
  'CALENDAR-2',
  'CALENDAR-3',
  'Calendar^Patient',
  'SWALLOW-1',
  'SWALLOW-2',
  'ACC-SWALLOW',
  'ACC-5550',
  'KILL-THE-WORKER',
  'Kill^Worker',
  'Doe^Jane',
  'Muller^Jurgen',
  '00000000',
  '19000229',
  '20231345',
  '19640312',
  '3680043.8.498.7701', // the fixtures' UID root: every original UID
];

/** Fail when a message of `result` holds a value of the fixtures. */
function expectNoValues(result: SomResult): void {
  const printed = result.stdout + result.stderr;
  for (const value of VALUES) expect(printed).not.toContain(value);
}

/** The files under `dir` (relative paths, sorted). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Temporary files som left under `dir`. */
function leftovers(dir: string): string[] {
  return filesUnder(dir).filter((name) => /\.som-[0-9a-f]+\.tmp$/.test(name));
}

/** som-report.json of `out`. */
function reportOf(out: string): JsonReport {
  return JSON.parse(readFileSync(join(out, 'som-report.json'), 'utf8')) as JsonReport;
}

/** What {@link deid} gives back. */
interface DeidRun {
  run: SomResult;
  /** The output directory. */
  out: string;
  report: JsonReport;
}

/**
 * Run `som deid <inputs...> --out out <flags...>` in `cwd`, expecting `code` and no value of
 * the fixtures in any message.
 */
async function deid(
  cwd: string,
  code: number,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<DeidRun> {
  const run = await som(['deid', ...args, '--out', 'out', ...SECRET], { cwd, env });
  expect(run.code).toBe(code);
  expectNoValues(run);
  const out = join(cwd, 'out');
  return { run, out, report: reportOf(out) };
}

/** The entry of the file whose path ends with `name`. */
function entry(report: JsonReport, name: string): JsonReport['files'][number] | undefined {
  return report.files.find((e) => e.path.endsWith(name));
}

/**
 * A copy of the DICOM file `from` whose Pixel Data declares `pixelBytes` bytes (all zero,
 * and sparse on disk).
 */
function hugeSparseCopy(from: string, to: string, pixelBytes: number): void {
  const bytes = readFileSync(from);
  const at = bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57])); // (7FE0,0010) OW
  if (at < 0) throw new Error(`${from} has no native Pixel Data`);
  const head = Buffer.from(bytes.subarray(0, at + 12));
  head.writeUInt32LE(pixelBytes, at + 8);
  writeFileSync(to, head);
  truncateSync(to, head.length + pixelBytes);
}

describe('one bad file fails alone', () => {
  const dirs = suiteDirectories('fail-alone', (dir) => {
    makeFixtures('hostile', join(dir, 'in'));
    writeFileSync(
      join(dir, 'kill.deid'),
      'FORMAT dicom\n%header\nREPLACE Manufacturer func:kill_worker\n',
    );
  });
  const input = (...parts: string[]): string => join(dirs.fixtures, 'in', ...parts);

  describe('impossible dates (PatientBirthDate 00000000, 19000229, StudyDate 20231345)', () => {
    it('som deid writes every file, exits 0, writes the report, prints no value', async () => {
      const { out, report } = await deid(dirs.cwd, 0, [input('good'), input('dates')]);
      expect(report.summary).toMatchObject({ files: 5, ok: true, counts: { written: 5 } });
      expect(filesUnder(out)).toEqual(
        [
          'birth-feb29.dcm',
          'birth-zeros.dcm',
          'som-report.json',
          'study-month13.dcm',
          'a1.dcm',
          'a2.dcm',
        ].sort(),
      );
    });

    it('som upload stores every file, exits 0, prints no value', async () => {
      const run = await som(
        ['upload', input('good'), input('dates'), '--collection', 'c', '--json', ...SECRET],
        { cwd: dirs.cwd },
      );
      expect(run.code).toBe(0);
      expectNoValues(run);
      expect(json<JsonReport>(run).summary).toMatchObject({ ok: true, counts: { written: 5 } });
    });
  });

  it('som deid: a cut file and swallowing elements fail alone with their reasons and refusals counted', async () => {
    const { run, out, report } = await deid(dirs.cwd, 1, [
      input('good'),
      input('cut'),
      input('swallow'),
    ]);
    expect(report.summary.counts).toMatchObject({ written: 2, failed: 3 });
    expect(report.summary.refused).toEqual({ 'invalid-element': 3 });
    expect(entry(report, 'header-only.dcm')).toMatchObject({
      outcome: 'failed',
      refused: 'invalid-element',
      reason: expect.stringMatching(
        /^PixelData \(7FE0,0010\) at byte \d+: missing: the data set describes an image/,
      ) as string,
    });
    expect(entry(report, 'image-type.dcm')?.reason).toMatch(/^ImageType \(0008,0008\) at byte \d+/);
    expect(entry(report, 'retagged.dcm')?.reason).toMatch(
      /^Manufacturer \(0008,0070\) at byte \d+: VR SH where the dictionary has LO$/,
    );
    expect(filesUnder(out)).toEqual(['a1.dcm', 'a2.dcm', 'som-report.json']);
    expect(run.stdout).toContain(': 5 files: 2 written, 3 failed (refused: 3 invalid-element)\n');
  });

  it('som upload: no record holds the accession number a kept element swallowed or impersonated', async () => {
    const run = await som(
      ['upload', input('good'), input('swallow'), '--collection', 'c', '--json', ...SECRET],
      { cwd: dirs.cwd },
    );
    expect(run.code).toBe(1);
    expectNoValues(run);
    expect(json<JsonReport>(run).summary.counts).toMatchObject({ written: 2, failed: 2 });
    for (const query of [
      'Manufacturer=ACC-SWALLOW-2',
      'AccessionNumber=ACC-SWALLOW-1',
      'AccessionNumber=ACC-SWALLOW-2',
      'ImageType=ACC-SWALLOW-1',
    ]) {
      const found = await som(['search', query, '--json'], { cwd: dirs.cwd });
      expect(found.code).toBe(0);
      expect(json<unknown[]>(found)).toEqual([]);
    }
    const entities = json<{ uid: string }[]>(await som(['ls', 'c', '--json'], { cwd: dirs.cwd }));
    expect(entities).toHaveLength(1);
    const images = await som(['ls', 'c', entities[0]?.uid ?? '', '--json'], { cwd: dirs.cwd });
    expect(json<unknown[]>(images)).toHaveLength(2);
    expectNoValues(images);
  });

  describe('a de-identification thread that dies', () => {
    const killing = (): string[] => [
      '--recipe',
      join(dirs.fixtures, 'kill.deid'),
      '--functions',
      join(__dirname, 'fixtures', 'worker-killer.cjs'),
      '--concurrency',
      '4',
    ];

    it('som deid: fails only the file it died on; the files in flight with it are written', async () => {
      const { out, report } = await deid(
        dirs.cwd,
        1,
        [input('good'), input('kill'), ...killing()],
        {
          SOM_WORKERS: '1',
        },
      );
      expect(report.summary.counts).toMatchObject({ written: 2, failed: 1 });
      expect(report.summary.refused).toEqual({ 'thread-stopped': 1 });
      expect(entry(report, 'k1.dcm')).toMatchObject({
        outcome: 'failed',
        reason: 'its de-identification thread stopped (exit code 70) while de-identifying it',
      });
      expect(filesUnder(out)).toEqual(['a1.dcm', 'a2.dcm', 'som-report.json']);
    });

    it('som upload: the same, and the run goes on', async () => {
      const run = await som(
        [
          'upload',
          input('good'),
          input('kill'),
          '--collection',
          'c',
          '--json',
          ...killing(),
          ...SECRET,
        ],
        { cwd: dirs.cwd, env: { SOM_WORKERS: '1' } },
      );
      expect(run.code).toBe(1);
      expectNoValues(run);
      const report = json<JsonReport>(run);
      expect(report.summary.counts).toMatchObject({ written: 2, failed: 1 });
      expect(entry(report, 'k1.dcm')?.refused).toBe('thread-stopped');
    });
  });

  describe('a file of more than 2 GiB', () => {
    let huge: string;
    let size: number;
    beforeAll(() => {
      huge = join(dirs.fixtures, 'huge');
      mkdirSync(huge);
      hugeSparseCopy(input('kill', 'k1.dcm'), join(huge, 'big.dcm'), 2 ** 31 + 2 ** 20);
      size = statSync(join(huge, 'big.dcm')).size;
    });

    it('som deid: fails alone, saying why, without a crash', async () => {
      const { out, report } = await deid(dirs.cwd, 1, [input('good'), huge]);
      expect(report.summary.counts).toMatchObject({ written: 2, failed: 1 });
      expect(entry(report, 'big.dcm')).toMatchObject({
        outcome: 'failed',
        refused: 'too-large',
        reason: `too large to de-identify in memory: ${size} bytes, the limit is 1073741824 bytes`,
      });
      expect(leftovers(out)).toEqual([]);
    });

    it('som upload: the same', async () => {
      const run = await som(
        ['upload', input('good'), huge, '--collection', 'c', '--json', ...SECRET],
        { cwd: dirs.cwd },
      );
      expect(run.code).toBe(1);
      const report = json<JsonReport>(run);
      expect(report.summary.counts).toMatchObject({ written: 2, failed: 1 });
      expect(entry(report, 'big.dcm')).toMatchObject({ outcome: 'failed', refused: 'too-large' });
    });
  });

  it('an error that stops the run still writes the report, every file in it, and leaves no temporary file', async () => {
    writeFileSync(join(dirs.cwd, 'ids.json'), '{"results": [');
    const { run, out, report } = await deid(dirs.cwd, 2, [
      input('good'),
      input('dates'),
      '--ids',
      'ids.json',
    ]);
    expect(run.stderr).toMatch(/som: error: DASHER response file ids\.json is not valid JSON/);
    expect(report.summary).toMatchObject({
      files: 5,
      ok: false,
      counts: { interrupted: 5 },
      error: expect.stringMatching(/^DASHER response file ids\.json is not valid JSON/) as string,
    });
    expect(report.files.map((e) => e.reason)).toEqual(
      Array(5).fill('not started: the run stopped on an error'),
    );
    expect(filesUnder(out)).toEqual(['som-report.json']);
    const upload = await som(
      ['upload', input('good'), '--collection', 'c', '--ids', 'ids.json', '--json', ...SECRET],
      { cwd: dirs.cwd },
    );
    expect(upload.code).toBe(2);
    expect(json<JsonReport>(upload).summary).toMatchObject({
      files: 2,
      counts: { interrupted: 2 },
      error: expect.stringMatching(/is not valid JSON/) as string,
    });
  });
});

describe('som deid stopped with Ctrl-C', () => {
  const FILES = 300;
  const dirs = suiteDirectories('deid-interrupt', (dir) =>
    makeFixtures('many', join(dir, 'in'), FILES),
  );

  /**
   * Start `som deid` and send SIGINT once `after` files were written, and again (`times` 2)
   * once som said it is stopping.
   */
  async function interrupted(times: number, after: number): Promise<SomResult> {
    const { child, done } = startSom(
      ['deid', join(dirs.fixtures, 'in'), '--out', 'out', '--concurrency', '4', ...SECRET],
      { cwd: dirs.cwd, env: { SOM_WORKERS: '1' } },
    );
    let seen = 0;
    let sent = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += (chunk.toString().match(/^written /gm) ?? []).length;
      if (sent > 0 || seen < after) return;
      sent++;
      child.kill('SIGINT');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (sent !== 1 || times < 2 || !chunk.toString().includes('SIGINT: stopping')) return;
      sent++;
      child.kill('SIGINT');
    });
    const result = await done;
    expect(sent).toBe(times);
    return result;
  }

  it.each([
    ['once: the files in flight finish, the others are reported interrupted', 1],
    ['twice: it stops at once, and still finishes the report', 2],
  ])('%s; no temporary file is left', async (_label, times) => {
    const run = await interrupted(times, 40);
    expect(run.code).toBe(130);
    if (times === 2) expect(run.stderr).toContain('SIGINT again: stopping now');
    const out = join(dirs.cwd, 'out');
    expect(existsSync(join(out, 'som-report.json'))).toBe(true);
    const report = reportOf(out);
    expect(report.summary.files).toBe(FILES);
    expect(report.summary.interrupted).toBe(true);
    expect(report.files).toHaveLength(FILES);
    const written = report.files.filter((e) => e.outcome === 'written').length;
    expect(written).toBeGreaterThanOrEqual(40);
    expect(written + (report.summary.counts.interrupted ?? 0)).toBe(FILES);
    expect(leftovers(out)).toEqual([]);
    // Every file reported written is there; stopped at once, a file in flight may be too.
    const dicom = filesUnder(out).filter((name) => name !== 'som-report.json');
    expect(dicom.length).toBeGreaterThanOrEqual(written);
    expect(dicom.length).toBeLessThanOrEqual(written + (times === 1 ? 0 : 4));
  });
});
