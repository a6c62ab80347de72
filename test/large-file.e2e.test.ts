/**
 * A ~2 GB multi-frame file (generated sparse, with identifying elements after its pixel
 * data) through `som deid` and `som upload` into the embedded default: written, its pixel
 * data byte for byte (compared by hashes read as streams), nothing identifying after it,
 * and the process's peak resident memory under 300 MB.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { readFileHeader } from '@som/dicom';
import { PYTHON, ROOT, json, removeDir, som, tempDir, type SomResult } from './fixtures/som';

const SECRET = ['--secret', 'the secret of the large-file tests, long enough'];
/** Frames of 1024 x 1024 x 16 bits: 2 MiB each, 2.1 GB in all. */
const FRAMES = 1000;
const PEAK_RSS_LIMIT = 300 * 1024 * 1024;
const IDENTITY = 'Trailing^Identity';

interface Made {
  size: number;
  pixelStart: number;
  pixelEnd: number;
}

/** MD5 of bytes `start` to `end` of the file at `path`, read as a stream. */
async function md5OfRange(path: string, start: number, end: number): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { start, end: end - 1 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/**
 * `som args...` with its peak resident memory (VmHWM, written by bench/upload.rss.js as it
 * exits), de-identifying in a worker thread (as runs of many files do) rather than inline.
 */
async function measured(
  args: readonly string[],
  cwd: string,
): Promise<{ run: SomResult; peak: number }> {
  const rssFile = join(cwd, 'peak-rss');
  const run = await som(args, {
    cwd,
    env: {
      NODE_OPTIONS: `--require ${join(ROOT, 'bench', 'upload.rss.js')}`,
      SOM_BENCH_RSS_FILE: rssFile,
      SOM_WORKERS: '1',
    },
  });
  return { run, peak: Number(readFileSync(rssFile, 'utf8')) };
}

/** The output `path` checked: its pixel data the source's byte for byte, nothing identifying in its header or after its pixel data. */
async function expectDeidentified(path: string, made: Made, sourcePixels: string): Promise<void> {
  const size = statSync(path).size;
  const header = await readFileHeader(path, size);
  expect(header.string('PatientName')).not.toContain('Trailing');
  const pixelStart = header.byteLength + 12; // (7FE0,0010) OW, reserved, 32-bit length
  const pixelEnd = pixelStart + (made.pixelEnd - made.pixelStart);
  expect(await md5OfRange(path, pixelStart, pixelEnd)).toBe(sourcePixels);
  const around = Buffer.concat([
    await rangeBytes(path, 0, pixelStart),
    await rangeBytes(path, pixelEnd, size),
  ]);
  expect(around.includes(Buffer.from(IDENTITY, 'latin1'))).toBe(false);
  expect(around.includes(Buffer.from('LARGE-0001', 'latin1'))).toBe(false);
}

/** Bytes `start` to `end` of the file at `path` (small ranges only). */
async function rangeBytes(path: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path, { start, end: end - 1 }))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('a 2 GB multi-frame file in flat memory', () => {
  let dir: string;
  let source: string;
  let made: Made;
  let sourcePixels: string;

  beforeAll(async () => {
    dir = tempDir('large-file');
    const { bavail, bsize } = statfsSync(dir);
    const free = bavail * bsize;
    // The output of one command at a time (each removed before the next): about 2.1 GB.
    if (free < 3 * 1024 ** 3)
      throw new Error(`the large-file tests need 3 GiB free in ${dir}, there are ${free} bytes`);
    source = join(dir, 'in', 'large.dcm');
    execFileSync('mkdir', ['-p', join(dir, 'in')]);
    const script = join(ROOT, 'test', 'fixtures', 'make-large-dicom.py');
    made = JSON.parse(
      execFileSync(PYTHON, [script, source, String(FRAMES)], { encoding: 'utf8' }),
    ) as Made;
    sourcePixels = await md5OfRange(source, made.pixelStart, made.pixelEnd);
  }, 60_000);
  afterAll(() => removeDir(dir));

  it('som deid writes it, pixel data byte for byte, trailing identity gone, peak RSS under 300 MB', async () => {
    const cwd = join(dir, 'deid');
    execFileSync('mkdir', ['-p', cwd]);
    const out = join(cwd, 'out');
    const { run, peak } = await measured(['deid', join(dir, 'in'), '--out', out, ...SECRET], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1 file: 1 written/);
    const [written] = filesUnder(out).filter((f) => f.endsWith('.dcm'));
    expect(written).toBeDefined();
    await expectDeidentified(written as string, made, sourcePixels);
    expect(peak).toBeLessThan(PEAK_RSS_LIMIT);
    removeDir(cwd);
  }, 120_000);

  it('som upload stores it in the embedded default, the same, peak RSS under 300 MB', async () => {
    const cwd = join(dir, 'upload');
    execFileSync('mkdir', ['-p', cwd]);
    const { run, peak } = await measured(
      ['upload', join(dir, 'in'), '--collection', 'c', '--json', ...SECRET],
      cwd,
    );
    expect(run.code).toBe(0);
    const report = json<{ summary: { counts: Record<string, number> } }>(run);
    expect(report.summary.counts).toMatchObject({ written: 1 });
    const objects = filesUnder(join(cwd, 'som-data', 'objects')).filter(
      (f) => statSync(f).size > made.size / 2,
    );
    expect(objects).toHaveLength(1);
    await expectDeidentified(objects[0] as string, made, sourcePixels);
    expect(peak).toBeLessThan(PEAK_RSS_LIMIT);
    removeDir(cwd);
  }, 120_000);
});
