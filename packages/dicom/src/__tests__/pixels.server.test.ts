/**
 * Pixel cleaning checked by an independent decoder: pydicom + numpy (Debian's
 * python3-pydicom, python3-numpy) decode input and output; inside the blanked rectangles
 * every sample of every frame is zero, everywhere else identical. Native layouts and RLE.
 * And OCR (Debian's tesseract-ocr, tesseract-ocr-eng; python3-pil draws the text): text
 * found, a frame without text passes, `redact` blanks the text's boxes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deidentify,
  findBurnedInText,
  isQuarantine,
  layerRecipes,
  parseRecipe,
  type DeidOptions,
  textQuarantine,
  textRegions,
} from '..';
import { recipeOf } from './fixtures';

const PYTHON = '/usr/bin/python3';
const CHECK = join(__dirname, '..', '..', 'test-fixtures', 'pixel_check.py');
const dir = mkdtempSync(join(tmpdir(), 'som-pixels-'));
const manifest = JSON.parse(execFileSync(PYTHON, [CHECK, 'make', dir], { encoding: 'utf8' })) as {
  images: string[];
  text: string;
  textBox: [number, number, number, number];
  noText: string;
};

interface Verdict {
  zeroed: boolean;
  identical: boolean;
  hadValuesInside: boolean;
  sameBytes: boolean;
  burnedIn: string;
}

function verify(input: string, output: string, rects: number[][]): Verdict {
  return JSON.parse(
    execFileSync(PYTHON, [CHECK, 'verify', input, output, ...rects.flat().map(String)], {
      encoding: 'utf8',
    }),
  ) as Verdict;
}

const options = (source: string, extra: Partial<DeidOptions> = {}): DeidOptions => ({
  source,
  recipe: layerRecipes(
    parseRecipe(
      '%filter graylist\nLABEL acme\n  contains Manufacturer ACME\n  coordinates 2,3,17,11\n',
      'px.recipe',
    ),
    recipeOf('KEEP ALL'),
  ),
  uidKey: 'k',
  aliases: { entity: { id: 'PIXELS', id_source: 'x', suid: 'E', jitter: 1, items: [] } },
  ...extra,
});

function deidTo(name: string, extra: Partial<DeidOptions> = {}): string {
  const input = join(dir, name);
  const output = join(dir, `out-${name}`);
  writeFileSync(output, deidentify(readFileSync(input), options(name, extra)).bytes);
  return output;
}

describe('pixel cleaning, decoded by pydicom', () => {
  it.each(manifest.images)(
    '%s: the rectangle is zero in every frame, every other pixel identical',
    (name) => {
      const verdict = verify(join(dir, name), deidTo(name), [[2, 3, 17, 11]]);
      expect(verdict).toMatchObject({
        zeroed: true,
        identical: true,
        hadValuesInside: true,
        burnedIn: 'NO',
      });
    },
  );

  it.each(manifest.images)('%s, not flagged: pixel data byte for byte', (name) => {
    const verdict = verify(join(dir, name), deidTo(name, { pixelFilter: null }), []);
    expect(verdict.sameBytes).toBe(true);
  });
});

describe('OCR (tesseract)', () => {
  it('finds the burned-in name and date, and nothing in a frame of noise', async () => {
    const found = await findBurnedInText(readFileSync(join(dir, manifest.text)), 'text.dcm');
    const [x0, y0, x1, y1] = manifest.textBox;
    expect(found.frames).toBe(1);
    expect(found.boxes.length).toBeGreaterThan(0);
    for (const b of found.boxes) {
      expect(b.x0 < x1 && x0 < b.x1 && b.y0 < y1 && y0 < b.y1).toBe(true);
    }
    expect(isQuarantine(textQuarantine('text.dcm', found))).toBe(true);
    const none = await findBurnedInText(readFileSync(join(dir, manifest.noText)), 'no-text.dcm');
    expect(none.boxes).toEqual([]);
  });

  it('redact blanks the text boxes: zero there, identical elsewhere', async () => {
    const found = await findBurnedInText(readFileSync(join(dir, manifest.text)), 'text.dcm');
    const regions = textRegions(found.boxes);
    const output = deidTo(manifest.text, { pixelFilter: null, redactRegions: regions });
    const rects = regions.map((r) =>
      r.shape.kind === 'rect' ? [r.shape.x0, r.shape.y0, r.shape.x1, r.shape.y1] : [],
    );
    const verdict = verify(join(dir, manifest.text), output, rects);
    expect(verdict).toMatchObject({ zeroed: true, identical: true, hadValuesInside: true });
    // Redaction by OCR does not claim the image is free of burned-in text.
    expect(verdict.burnedIn).toBe('');
    const again = await findBurnedInText(readFileSync(output), 'out.dcm');
    expect(again.boxes).toEqual([]);
  });
});
