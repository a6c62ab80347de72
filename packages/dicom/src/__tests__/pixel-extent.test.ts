/**
 * `locatePixelData` against the reader, on seeds (native and encapsulated pixel data, three
 * encodings, elements after the pixel data) and on mutants of them (bit flips, lengths,
 * truncations): it fails only with a DicomRefusal, and whenever a file read around its
 * pixel data parses, the whole file parses too with the same pixel data extent and the same
 * elements after it, so that nothing is streamed that the reader would read otherwise.
 */
import { locatePixelData, type ReadAt } from '../pixel-extent';
import { parseDicom } from '../reader';
import { DicomRefusal } from '../refusal';
import {
  EXPLICIT_BE,
  EXPLICIT_LE,
  IMPLICIT_LE,
  encode,
  part10,
  type Enc,
  type Spec,
} from './builder';

const UNDEFINED = 0xffffffff;

const HEADER: Spec[] = [
  { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
  { tag: 0x00080018, vr: 'UI', value: '1.2.3.4.5.6' },
  { tag: 0x00100010, vr: 'PN', value: 'Doe^Jane' },
  { tag: 0x00280010, vr: 'US', value: Buffer.of(4, 0) },
];

const TRAILER: Spec[] = [
  { tag: 0x7fe10010, vr: 'LO', value: 'ACME TRAILER' },
  { tag: 0x7fe11001, vr: 'LO', value: 'Doe^Jane' },
  { tag: 0xfffcfffc, vr: 'OB', value: Buffer.from('Doe^Jane') },
];

function u32(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}

/** Encapsulated pixel data: an empty offset table and `fragments` fragments. */
function encapsulated(fragments: number[]): Buffer {
  const item = (length: number): Buffer =>
    Buffer.concat([Buffer.of(0xfe, 0xff, 0x00, 0xe0), u32(length, true), Buffer.alloc(length, 7)]);
  return Buffer.concat([
    Buffer.of(0xe0, 0x7f, 0x10, 0x00),
    Buffer.from('OB'),
    Buffer.alloc(2),
    u32(UNDEFINED, true),
    item(0),
    ...fragments.map(item),
    Buffer.of(0xfe, 0xff, 0xdd, 0xe0),
    u32(0, true),
  ]);
}

/** A seed file: header, pixel data (native of `pixelBytes`, or encapsulated), trailer. */
function seed(enc: Enc, syntax: string, pixels: 'native' | 'encapsulated'): Buffer {
  const pixelData =
    pixels === 'native'
      ? encode([{ tag: 0x7fe00010, vr: 'OW', value: Buffer.alloc(256, 3) }], enc)
      : encapsulated([30, 64, 2]);
  const file = part10([...HEADER], syntax, enc);
  return Buffer.concat([file, pixelData, encode(TRAILER, enc)]);
}

const SEEDS: [string, Buffer][] = [
  ['native explicit LE', seed(EXPLICIT_LE, '1.2.840.10008.1.2.1', 'native')],
  ['native implicit LE', seed(IMPLICIT_LE, '1.2.840.10008.1.2', 'native')],
  ['native explicit BE', seed(EXPLICIT_BE, '1.2.840.10008.1.2.2', 'native')],
  ['encapsulated', seed(EXPLICIT_LE, '1.2.840.10008.1.2.4.50', 'encapsulated')],
];

const readerOf =
  (bytes: Buffer): ReadAt =>
  async (position, length) =>
    bytes.subarray(position, position + length);

/** A small deterministic random number generator (mulberry32). */
function random(seedNumber: number): () => number {
  let a = seedNumber >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mutant of `bytes`: bit flips, a 32-bit length overwritten, or a truncation, from byte `from` on. */
function mutant(bytes: Buffer, from: number, next: () => number): Buffer {
  const out = Buffer.from(bytes);
  const at = from + Math.floor(next() * (out.length - from));
  const kind = Math.floor(next() * 3);
  if (kind === 0) {
    for (let i = 0; i < 1 + Math.floor(next() * 3); i++) {
      const p = from + Math.floor(next() * (out.length - from));
      out[p] = (out[p] as number) ^ (1 << Math.floor(next() * 8));
    }
    return out;
  }
  if (kind === 1 && at + 4 <= out.length) {
    const lengths = [0, 1, 2, 8, 0xfffffffe, UNDEFINED, Math.floor(next() * 600)];
    out.writeUInt32LE(lengths[Math.floor(next() * lengths.length)] as number, at);
    return out;
  }
  return out.subarray(0, at);
}

/** The elements after the top-level pixel data of a parse: tags and value bytes. */
function after(bytes: Buffer): { tag: number; value: string }[] | undefined {
  const parsed = parseDicom(bytes, 'file');
  const { elements, buffer } = parsed.dataset;
  const i = elements.findIndex((e) => e.tag === 0x7fe00010);
  if (i < 0) return undefined;
  return elements.slice(i + 1).map((e) => ({
    tag: e.tag,
    value: buffer.subarray(e.valueOffset, e.valueOffset + e.length).toString('hex'),
  }));
}

/** The file read around its pixel data, as `readAroundPixels` in @som/publish does it. */
async function aroundPixels(
  bytes: Buffer,
): Promise<{ standIn: Buffer; offset: number; end: number } | undefined> {
  let header;
  try {
    header = parseDicom(bytes, 'file', { stopAtPixelData: true });
  } catch {
    return undefined;
  }
  if (!header.stoppedAtPixelData || header.transferSyntax.deflated) return undefined;
  const { dataset } = header;
  const offset = dataset.elements[dataset.elements.length - 1]?.end ?? header.datasetOffset;
  const extent = await locatePixelData(
    readerOf(bytes),
    offset,
    bytes.length,
    dataset.encoding,
    'file',
  );
  const standIn = Buffer.concat([
    bytes.subarray(0, offset),
    extent.standIn,
    bytes.subarray(extent.end),
  ]);
  return { standIn, offset, end: extent.end };
}

describe('locatePixelData', () => {
  it.each(SEEDS)('%s: finds what the reader finds', async (_name, bytes) => {
    const whole = parseDicom(bytes, 'file');
    const pixels = whole.dataset.get(0x7fe00010);
    const around = await aroundPixels(bytes);
    expect(around).toBeDefined();
    expect([around?.offset, around?.end]).toEqual([pixels?.offset, pixels?.end]);
    expect(after(around?.standIn as Buffer)).toEqual(after(bytes));
    expect(after(bytes)?.map((e) => e.tag)).toEqual([0x7fe10010, 0x7fe11001, 0xfffcfffc]);
  });

  it.each(SEEDS)(
    '%s, 400 mutants: only refusals, and what reads around the pixel data reads the same whole',
    async (_name, bytes) => {
      const pixelAt = parseDicom(bytes, 'file').dataset.get(0x7fe00010)?.offset ?? 0;
      const next = random(pixelAt * 31 + bytes.length);
      let agreed = 0;
      for (let n = 0; n < 400; n++) {
        // Mutate from a little before the pixel data: its header, fragments and trailer.
        const m = mutant(bytes, Math.max(0, pixelAt - 16), next);
        let around;
        try {
          around = await aroundPixels(m);
        } catch (err) {
          expect(err).toBeInstanceOf(DicomRefusal);
          continue;
        }
        if (around === undefined) continue;
        let trailing;
        try {
          trailing = after(around.standIn);
        } catch {
          continue; // refused as a whole: nothing is streamed
        }
        // Streamable: then the whole file reads the same.
        const whole = parseDicom(m, 'file');
        const pixels = whole.dataset.get(0x7fe00010);
        expect([around.offset, around.end]).toEqual([pixels?.offset, pixels?.end]);
        expect(trailing).toEqual(after(m));
        agreed++;
      }
      expect(agreed).toBeGreaterThan(20);
    },
  );
});
