/**
 * Burned-in pixel PHI: %filter screening (whitelist, graylist, blacklist), blanking regions
 * in every frame of native pixel data of any layout, RLE, quarantines, BurnedInAnnotation,
 * and pixel data kept byte for byte when nothing is flagged. Expected pixels are computed
 * here, pixel by pixel, from the geometry (independently of the cleaner's row runs).
 */
import {
  defaultPixelFilter,
  isQuarantine,
  layerRecipes,
  parseRecipe,
  type DeidResult,
  type Recipe,
} from '..';
import { parseDicom } from '../reader';
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, part10, type Enc, type Spec } from './builder';
import { recipeOf, run } from './fixtures';

const TAGS = {
  ImageType: 0x00080008,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  SamplesPerPixel: 0x00280002,
  Photometric: 0x00280004,
  Planar: 0x00280006,
  Frames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BurnedIn: 0x00280301,
  PixelData: 0x7fe00010,
};

interface Image {
  rows: number;
  columns: number;
  samples?: number;
  bits?: number;
  planar?: number;
  frames?: number;
  photometric?: string;
  extra?: Spec[];
  enc?: Enc;
}

function us(n: number, enc: Enc): Buffer {
  const b = Buffer.alloc(2);
  if (enc.le) b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b;
}

/** Pixel bytes 1..255 repeating (never zero, so a blanked byte is visible). */
function pattern(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i % 255) + 1));
}

function imageSpecs(img: Image, pixels: Buffer | undefined): Spec[] {
  const enc = img.enc ?? EXPLICIT_LE;
  const specs: Spec[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.4.5.6' },
    { tag: TAGS.Modality, vr: 'CS', value: 'US' },
    { tag: TAGS.Manufacturer, vr: 'LO', value: 'ACME' },
    { tag: TAGS.SamplesPerPixel, vr: 'US', value: us(img.samples ?? 1, enc) },
    { tag: TAGS.Photometric, vr: 'CS', value: img.photometric ?? 'MONOCHROME2' },
    { tag: TAGS.Rows, vr: 'US', value: us(img.rows, enc) },
    { tag: TAGS.Columns, vr: 'US', value: us(img.columns, enc) },
    { tag: TAGS.BitsAllocated, vr: 'US', value: us(img.bits ?? 8, enc) },
    ...(img.planar !== undefined
      ? [{ tag: TAGS.Planar, vr: 'US', value: us(img.planar, enc) }]
      : []),
    ...(img.frames !== undefined
      ? [{ tag: TAGS.Frames, vr: 'IS', value: String(img.frames) }]
      : []),
    ...(img.extra ?? []),
    ...(pixels
      ? [{ tag: TAGS.PixelData, vr: (img.bits ?? 8) > 8 ? 'OW' : 'OB', value: pixels }]
      : []),
  ];
  return specs.sort((a, b) => a.tag - b.tag);
}

function byteLength(img: Image): number {
  const pixels = img.rows * img.columns * (img.samples ?? 1) * (img.frames ?? 1);
  const bits = img.bits ?? 8;
  const n = bits === 1 ? Math.ceil(pixels / 8) : (pixels * bits) / 8;
  return n + (n % 2);
}

/** The expected bytes: every sample of every pixel inside `[x0,x1) x [y0,y1)` zeroed, computed per pixel. */
function expected(img: Image, input: Buffer, rect: [number, number, number, number]): Buffer {
  const out = Buffer.from(input);
  const [x0, y0, x1, y1] = rect;
  const samples = img.samples ?? 1;
  const bits = img.bits ?? 8;
  const frames = img.frames ?? 1;
  for (let f = 0; f < frames; f++)
    for (let y = 0; y < img.rows; y++)
      for (let x = 0; x < img.columns; x++) {
        if (x < x0 || x >= x1 || y < y0 || y >= y1) continue;
        for (let s = 0; s < samples; s++) {
          if (bits === 1) {
            const bit = f * img.rows * img.columns + y * img.columns + x;
            out[bit >> 3] = (out[bit >> 3] ?? 0) & ~(1 << (bit & 7));
            continue;
          }
          const bytes = bits / 8;
          const index =
            img.planar === 1
              ? f * img.rows * img.columns * samples +
                s * img.rows * img.columns +
                y * img.columns +
                x
              : ((f * img.rows + y) * img.columns + x) * samples + s;
          out.fill(0, index * bytes, (index + 1) * bytes);
        }
      }
  return out;
}

const GRAY = (coordinates: string): Recipe =>
  layerRecipes(
    parseRecipe(
      `%filter graylist\nLABEL Acme US\n  contains Modality US\n  + contains Manufacturer ACME\n  ${coordinates}\n`,
      'px.recipe',
    ),
    recipeOf('KEEP ALL'),
  );

function pixelsOf(result: DeidResult): Buffer {
  const parsed = parseDicom(result.bytes, 'out.dcm');
  const element = parsed.dataset.get(TAGS.PixelData);
  if (!element) throw new Error('no pixel data');
  return Buffer.from(parsed.dataset.valueBytes(element));
}

describe('graylisted files are cleaned in every frame', () => {
  const layouts: [string, Image][] = [
    ['8-bit monochrome', { rows: 6, columns: 7 }],
    ['16-bit monochrome, 3 frames', { rows: 5, columns: 6, bits: 16, frames: 3 }],
    ['16-bit big endian', { rows: 4, columns: 6, bits: 16, enc: EXPLICIT_BE }],
    ['implicit VR', { rows: 4, columns: 6, enc: IMPLICIT_LE }],
    [
      'RGB interleaved, 2 frames',
      { rows: 4, columns: 5, samples: 3, photometric: 'RGB', planar: 0, frames: 2 },
    ],
    [
      'RGB planar, 2 frames',
      { rows: 4, columns: 5, samples: 3, photometric: 'RGB', planar: 1, frames: 2 },
    ],
    ['32-bit', { rows: 3, columns: 4, bits: 32 }],
    ['1-bit, 3 frames', { rows: 5, columns: 5, bits: 1, frames: 3 }],
  ];
  const syntax = (enc: Enc | undefined): string =>
    enc === EXPLICIT_BE
      ? '1.2.840.10008.1.2.2'
      : enc === IMPLICIT_LE
        ? '1.2.840.10008.1.2'
        : '1.2.840.10008.1.2.1';

  it.each(layouts)('%s', (_name, img) => {
    const input = pattern(byteLength(img));
    const result = run(imageSpecs(img, input), GRAY('coordinates 1,1,4,3'), {
      encoding: img.enc ?? EXPLICIT_LE,
      transferSyntax: syntax(img.enc),
    });
    expect(pixelsOf(result).equals(expected(img, input, [1, 1, 4, 3]))).toBe(true);
    expect(result.header.string(TAGS.BurnedIn)).toBe('NO');
    expect(result.pixelCleaning).toEqual({
      section: 'graylist',
      labels: ['Acme US'],
      redacted: false,
    });
  });

  it('ctpcoordinates are x, y, width, height; keepcoordinates restores, in order', () => {
    const img: Image = { rows: 6, columns: 8 };
    const input = pattern(byteLength(img));
    const result = run(
      imageSpecs(img, input),
      GRAY('ctpcoordinates 0,0,8,6\n  keepcoordinates 0,0,8,3'),
    );
    expect(pixelsOf(result).equals(expected(img, input, [0, 3, 8, 6]))).toBe(true);
  });

  it('keepcoordinates from:SequenceOfUltrasoundRegions keeps the regions the file lists', () => {
    const img: Image = {
      rows: 6,
      columns: 8,
      extra: [
        {
          tag: 0x00186011,
          vr: 'SQ',
          value: [
            [
              { tag: 0x00186018, vr: 'UL', value: Buffer.from([2, 0, 0, 0]) },
              { tag: 0x0018601a, vr: 'UL', value: Buffer.from([0, 0, 0, 0]) },
              { tag: 0x0018601c, vr: 'UL', value: Buffer.from([8, 0, 0, 0]) },
              { tag: 0x0018601e, vr: 'UL', value: Buffer.from([6, 0, 0, 0]) },
            ],
          ],
        },
      ],
    };
    const input = pattern(byteLength(img));
    const result = run(
      imageSpecs(img, input),
      GRAY('coordinates all\n  keepcoordinates from:SequenceOfUltrasoundRegions'),
    );
    expect(pixelsOf(result).equals(expected(img, input, [0, 0, 2, 6]))).toBe(true);
  });
});

describe('RLE', () => {
  /** An RLE frame written naively: a header and literal runs of at most 128 bytes. */
  function rleFrame(segments: Buffer[]): Buffer {
    const bodies = segments.map((seg) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < seg.length; i += 128) {
        const chunk = seg.subarray(i, Math.min(i + 128, seg.length));
        parts.push(Buffer.of(chunk.length - 1), chunk);
      }
      const body = Buffer.concat(parts);
      return body.length % 2 ? Buffer.concat([body, Buffer.of(0)]) : body;
    });
    const header = Buffer.alloc(64);
    header.writeUInt32LE(segments.length, 0);
    let at = 64;
    bodies.forEach((b, i) => {
      header.writeUInt32LE(at, 4 + 4 * i);
      at += b.length;
    });
    return Buffer.concat([header, ...bodies]);
  }
  const item = (b: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0xfffe, 0);
    h.writeUInt16LE(0xe000, 2);
    h.writeUInt32LE(b.length, 4);
    return Buffer.concat([h, b]);
  };

  it('decodes, blanks and re-encodes 16-bit frames, losslessly elsewhere', () => {
    const img: Image = { rows: 5, columns: 6, bits: 16, frames: 2 };
    const raw = pattern(byteLength(img));
    const frameBytes = img.rows * img.columns * 2;
    const frames = [0, 1].map((f) => {
      const frame = raw.subarray(f * frameBytes, (f + 1) * frameBytes);
      // Segments: most significant bytes, then least significant bytes.
      const msb = Buffer.from(
        Array.from({ length: frameBytes / 2 }, (_, i) => frame[2 * i + 1] ?? 0),
      );
      const lsb = Buffer.from(Array.from({ length: frameBytes / 2 }, (_, i) => frame[2 * i] ?? 0));
      return rleFrame([msb, lsb]);
    });
    const encapsulated = Buffer.concat([
      Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      item(Buffer.alloc(0)),
      ...frames.map(item),
      Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
    ]);
    const file = Buffer.concat([
      part10(imageSpecs(img, undefined), '1.2.840.10008.1.2.5', EXPLICIT_LE),
      encapsulated,
    ]);
    const { deidentify } = jest.requireActual<typeof import('..')>('..');
    const result = deidentify(file, {
      source: 'rle.dcm',
      recipe: GRAY('coordinates 1,1,4,3'),
      uidKey: 'k',
      aliases: { entity: { id: 'P', id_source: 'x', suid: 'E', jitter: 1, items: [] } },
    });
    const parsed = parseDicom(result.bytes, 'out.dcm');
    const pixel = parsed.dataset.get(TAGS.PixelData);
    expect(pixel?.encapsulated).toBe(true);
    // Decode the output's frames and compare with the expected native pixels.
    const { decodeRleFrame } = jest.requireActual<typeof import('../pixels/rle')>('../pixels/rle');
    const bytes = parsed.dataset.valueBytes(pixel!);
    const decoded: Buffer[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const len = bytes.readUInt32LE(pos + 4);
      decoded.push(bytes.subarray(pos + 8, pos + 8 + len));
      pos += 8 + len;
    }
    expect(decoded).toHaveLength(3);
    const want = expected(img, raw, [1, 1, 4, 3]);
    decoded.slice(1).forEach((frame, f) => {
      const [msb, lsb] = decodeRleFrame(frame, img.rows * img.columns, () => 'x');
      const native = Buffer.alloc(frameBytes);
      for (let i = 0; i < frameBytes / 2; i++) {
        native[2 * i] = lsb?.[i] ?? 0;
        native[2 * i + 1] = msb?.[i] ?? 0;
      }
      expect(native.equals(want.subarray(f * frameBytes, (f + 1) * frameBytes))).toBe(true);
    });
  });
});

describe('what the filter decides', () => {
  const img: Image = { rows: 4, columns: 4 };

  it('a blacklisted file is quarantined, naming the section and label, and never written', () => {
    const recipe = layerRecipes(
      parseRecipe('%filter blacklist\nLABEL No US\n  contains Modality US\n', 'b.recipe'),
      recipeOf('KEEP ALL'),
    );
    let caught: unknown;
    try {
      run(imageSpecs(img, pattern(16)), recipe);
    } catch (err) {
      caught = err;
    }
    expect(isQuarantine(caught)).toBe(true);
    expect((caught as { quarantine: unknown }).quarantine).toEqual({
      reason: 'blacklisted',
      section: 'blacklist',
      label: 'No US',
      detail: 'flagged by the pixel filter\'s blacklist, label "No US" (b.recipe line 2)',
    });
  });

  it('a verdict is remembered only for files whose criteria read the same values, decoded alike', () => {
    // One recipe (one filter object) for every file, so that its verdicts are remembered.
    const filter = '%filter blacklist\nLABEL Latin\n  contains Manufacturer \u00c4CME\n';
    const recipe = layerRecipes(parseRecipe(filter, 'l.recipe'), recipeOf('KEEP ALL'));
    // The same stored bytes of Manufacturer: Ä in ISO_IR 100, not a character in UTF-8.
    const file = (charset: string, manufacturer: Buffer): Spec[] =>
      imageSpecs(
        { ...img, extra: [{ tag: 0x00080005, vr: 'CS', value: charset }] },
        pattern(16),
      ).map((s) => (s.tag === TAGS.Manufacturer ? { ...s, value: manufacturer } : s));
    const latin = Buffer.from([0xc4, 0x43, 0x4d, 0x45]);
    const quarantined = /blacklist, label "Latin"/;
    expect(() => run(file('ISO_IR 100', latin), recipe)).toThrow(quarantined);
    expect(run(file('ISO_IR 192', latin), recipe).pixelCleaning).toBeUndefined();
    expect(() => run(file('ISO_IR 100', latin), recipe)).toThrow(quarantined);
    expect(run(file('ISO_IR 100', Buffer.from('ACME')), recipe).pixelCleaning).toBeUndefined();
    expect(() => run(file('ISO_IR 100', latin), recipe)).toThrow(quarantined);
  });

  it('a graylisted file without coordinates needs a review (quarantined)', () => {
    const recipe = layerRecipes(
      parseRecipe('%filter graylist\nLABEL g\n  contains Modality US\n', 'g.recipe'),
      recipeOf('KEEP ALL'),
    );
    expect(() => run(imageSpecs(img, pattern(16)), recipe)).toThrow(
      /quarantined.*names no region to blank/,
    );
  });

  it('a whitelisted or unflagged file keeps its pixel data byte for byte, and BurnedInAnnotation as it was', () => {
    const input = pattern(16);
    const whitelisted = layerRecipes(
      parseRecipe(
        '%filter whitelist\nLABEL ok\n  contains Manufacturer ACME\n%filter graylist\nLABEL g\n  contains Modality US\n  coordinates all\n',
        'w.recipe',
      ),
      recipeOf('KEEP ALL'),
    );
    const extra: Spec[] = [{ tag: TAGS.BurnedIn, vr: 'CS', value: 'YES' }];
    // Whitelisted (before the graylist that would blank it), and not flagged (no filter).
    for (const recipe of [whitelisted, recipeOf('KEEP ALL')]) {
      const result = run(imageSpecs({ ...img, extra }, input), recipe);
      expect(pixelsOf(result).equals(input)).toBe(true);
      expect(result.header.string(TAGS.BurnedIn)).toBe('YES');
      expect(result.pixelCleaning).toBeUndefined();
    }
  });

  it('pixelFilter null switches the recipe filter off; a given filter replaces it', () => {
    const input = pattern(16);
    const result = run(imageSpecs(img, input), GRAY('coordinates all'), { pixelFilter: null });
    expect(pixelsOf(result).equals(input)).toBe(true);
    const other = run(imageSpecs(img, input), recipeOf('KEEP ALL'), {
      pixelFilter: GRAY('coordinates 0,0,2,2').pixelFilter,
    });
    expect(pixelsOf(other).equals(expected(img, input, [0, 0, 2, 2]))).toBe(true);
  });

  it('encapsulated pixel data other than RLE is quarantined with the reason', () => {
    const encapsulated = Buffer.concat([
      Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([
        0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0x00, 0xe0, 2, 0, 0, 0, 0xff, 0xd8,
      ]),
      Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
    ]);
    const file = Buffer.concat([
      part10(imageSpecs(img, undefined), '1.2.840.10008.1.2.4.50', EXPLICIT_LE),
      encapsulated,
    ]);
    const { deidentify } = jest.requireActual<typeof import('..')>('..');
    expect(() =>
      deidentify(file, {
        source: 'jpeg.dcm',
        recipe: GRAY('coordinates 0,0,2,2'),
        uidKey: 'k',
        aliases: { entity: { id: 'P', id_source: 'x', suid: 'E', jitter: 1, items: [] } },
      }),
    ).toThrow(
      /jpeg\.dcm: quarantined, not written: .*JPEG Baseline \(lossy\) \(1\.2\.840\.10008\.1\.2\.4\.50\)/,
    );
  });
});

describe('the default filter', () => {
  const img: Image = { rows: 4, columns: 4 };

  it("is deid.dicom's: 118 labels in whitelist, graylist and blacklist", () => {
    const filter = defaultPixelFilter();
    expect(filter.sections.map((s) => [s.name, s.kind])).toEqual([
      ['whitelist', 'whitelist'],
      ['graylist', 'graylist'],
      ['blacklist', 'blacklist'],
    ]);
    expect(filter.sections.reduce((n, s) => n + s.labels.length, 0)).toBe(118);
  });

  it('cleans a known dose report region, passes BurnedInAnnotation NO, quarantines BurnedInAnnotation YES', () => {
    const dose: Image = {
      rows: 512,
      columns: 512,
      extra: [
        { tag: TAGS.ImageType, vr: 'CS', value: 'DERIVED\\SECONDARY\\SCREEN SAVE' },
        { tag: 0x00081090, vr: 'LO', value: 'LightSpeed VCT' },
      ],
    };
    const input = pattern(512 * 512);
    const specs = imageSpecs(dose, input).map((s) =>
      s.tag === TAGS.Modality ? { ...s, value: 'CT' } : s,
    );
    const result = run(specs, recipeOf('KEEP ALL'), { pixelFilter: defaultPixelFilter() });
    expect(result.pixelCleaning?.labels).toEqual([
      'LightSpeed Dose Report',
      'Stanford CT GE Medical Systems LightSpeed VCT',
    ]);
    expect(pixelsOf(result).equals(expected(dose, input, [0, 0, 512, 121]))).toBe(true);
    const marked = run(
      imageSpecs({ ...img, extra: [{ tag: TAGS.BurnedIn, vr: 'CS', value: 'NO' }] }, pattern(16)),
      recipeOf('KEEP ALL'),
      {
        pixelFilter: defaultPixelFilter(),
      },
    );
    expect(marked.pixelCleaning).toBeUndefined();
    expect(() =>
      run(
        imageSpecs(
          {
            ...img,
            extra: [
              { tag: TAGS.BurnedIn, vr: 'CS', value: 'YES' },
              { tag: TAGS.ImageType, vr: 'CS', value: 'ORIGINAL\\PRIMARY' },
            ],
          },
          pattern(16),
        ),
        recipeOf('KEEP ALL'),
        {
          pixelFilter: defaultPixelFilter(),
        },
      ),
    ).toThrow(/blacklist, label "Burned In Annotation"/);
  });
});
