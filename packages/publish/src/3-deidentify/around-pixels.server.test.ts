import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deidentify, refusalOf } from '@som/dicom';
import { STREAM_FROM_BYTES } from './around-pixels';
import { aliasesOf, deidentifyInto, deidentifyPath, type DeidentifiedFile } from './deid-file';
import { readParts } from './output-parts';
import { context, scanned, type Context } from './__tests__/context';

const PYTHON = '/usr/bin/python3';
const MAKE_LARGE = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'make-large-dicom.py',
);
/** Frames of 2 MiB: just over the size from which files are streamed. */
const FRAMES = Math.ceil(STREAM_FROM_BYTES / (2 * 1024 * 1024)) + 1;
const IDENTITY = 'Trailing^Identity';

interface Made {
  path: string;
  size: number;
  pixelStart: number;
  pixelEnd: number;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-around-pixels-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function make(name: string, ...flags: string[]): Made {
  const path = join(dir, name);
  const out = execFileSync(PYTHON, [MAKE_LARGE, path, String(FRAMES), ...flags], {
    encoding: 'utf8',
  });
  return { path, ...(JSON.parse(out) as Omit<Made, 'path'>) };
}

async function bytesOf(deid: DeidentifiedFile): Promise<Buffer> {
  if (deid.bytes !== undefined) return deid.bytes;
  const chunks: Buffer[] = [];
  for await (const chunk of readParts(deid.parts ?? [])) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** What pydicom reads in `path`: PatientName, the SHA-256 of PixelData, the tags (and text) of elements after it. */
function pydicomView(path: string): { name: string; pixels: string; after: string[] } {
  const script = `
import hashlib, json, sys, pydicom
d = pydicom.dcmread(sys.argv[1])
after = [f"{e.tag:08X}={e.value!r}" for e in d if e.tag > 0x7FE00010]
print(json.dumps({"name": str(d.PatientName), "pixels": hashlib.sha256(d.PixelData).hexdigest(), "after": after}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8' })) as {
    name: string;
    pixels: string;
    after: string[];
  };
}

async function run(made: Made): Promise<{ c: Context; deid: DeidentifiedFile; file: string }> {
  const { file, collector } = await scanned(made.path);
  const c = await context('the key of the around-pixels test', collector);
  const aliases = aliasesOf(file, c.aliases);
  const deid = await deidentifyPath(made.path, 'large.dcm', aliases, c, true);
  return { c, deid, file: file.path };
}

describe('de-identifying a large file around its pixel data', () => {
  it.each([
    ['native', []],
    ['encapsulated', ['--encapsulated']],
  ])(
    '%s pixel data: streamed from the file, the same bytes as in memory, elements after the pixel data de-identified (pydicom)',
    async (kind, flags) => {
      const made = make(`${kind}.dcm`, ...flags);
      const { c, deid } = await run(made);
      // Streamed: the pixel data is a span of the source file, not bytes in memory.
      expect(deid.bytes).toBeUndefined();
      expect(deid.parts?.some((p) => !Buffer.isBuffer(p))).toBe(true);
      const streamed = await bytesOf(deid);
      expect(deid.size).toBe(streamed.length);
      expect(deid.md5).toBe(createHash('md5').update(streamed).digest('hex'));
      // The same bytes as the whole file de-identified in memory.
      const { file } = await scanned(made.path);
      const inMemory = deidentify(readFileSync(made.path), {
        source: 'large.dcm',
        recipe: c.recipe,
        uidKey: c.key,
        aliases: aliasesOf(file, c.aliases),
      });
      expect(streamed.equals(inMemory.bytes)).toBe(true);
      // And into a file: pydicom reads it, the identity is gone, the pixel data is byte-exact.
      const target = join(dir, `${kind}.out.dcm`);
      await deidentifyInto(made.path, 'large.dcm', aliasesOf(file, c.aliases), c, target);
      expect(readFileSync(target).equals(streamed)).toBe(true);
      const view = pydicomView(target);
      const source = pydicomView(made.path);
      expect(source.name).toBe(IDENTITY);
      expect(source.after.join(' ')).toContain(IDENTITY);
      expect(view.name).not.toContain('Trailing');
      expect(view.after.filter((e) => e.includes('Trailing'))).toEqual([]);
      expect(view.after.filter((e) => e.startsWith('7FE1'))).toEqual([]);
      expect(view.pixels).toBe(source.pixels);
      if (kind === 'native') {
        const raw = readFileSync(made.path).subarray(made.pixelStart, made.pixelEnd);
        expect(view.pixels).toBe(sha256(raw));
      }
      expect(streamed.includes(Buffer.from(IDENTITY, 'latin1'))).toBe(false);
    },
  );

  it('refuses a file whose elements after the pixel data do not parse, and writes nothing', async () => {
    const made = make('bad-trailer.dcm');
    appendFileSync(made.path, Buffer.from([0x08, 0x00, 0x20])); // half an element header
    const { file, collector } = await scanned(made.path);
    const c = await context('the key of the around-pixels test', collector);
    const aliases = aliasesOf(file, c.aliases);
    const failure = await deidentifyPath(made.path, 'bad.dcm', aliases, c).catch((e: unknown) => e);
    expect(refusalOf(failure)).toBe('malformed');
    const target = join(dir, 'bad.out.dcm');
    await expect(deidentifyInto(made.path, 'bad.dcm', aliases, c, target)).rejects.toThrow(
      /bad\.dcm/,
    );
    expect(existsSync(target)).toBe(false);
  });

  it('reads a file whose pixels must be cleaned whole (the filter needs them), and cleans them', async () => {
    const made = make('to-clean.dcm');
    const recipe = join(dir, 'clean.deid');
    writeFileSync(
      recipe,
      'FORMAT dicom\n\n%filter graylist\n\nLABEL Corner of every CT\n  contains Modality CT\n  coordinates 0,0,16,16\n',
    );
    const { file, collector } = await scanned(made.path);
    const c = await context('the key of the around-pixels test', collector, recipe);
    const deid = await deidentifyPath(made.path, 'clean.dcm', aliasesOf(file, c.aliases), c);
    expect(deid.parts).toBeUndefined();
    expect(deid.bytes?.length).toBe(deid.size);
    expect(deid.pixelCleaning).toMatchObject({ labels: ['Corner of every CT'] });
    expect((deid.bytes as Buffer).includes(Buffer.from(IDENTITY, 'latin1'))).toBe(false);
  });

  it('copies nothing of a file changed after it was de-identified', async () => {
    const made = make('changed.dcm');
    const { deid } = await run(made);
    utimesSync(made.path, new Date(), new Date(Date.now() + 5000));
    await expect(bytesOf(deid)).rejects.toThrow(/changed while it was de-identified/);
  });
});
