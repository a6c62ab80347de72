import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleInPlace, closeSource, openSource, readWithHeadroom } from './in-place';

describe('readWithHeadroom', () => {
  it('reads the whole file after the headroom, to the end of its own memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-in-place-'));
    try {
      const path = join(dir, 'f');
      const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      writeFileSync(path, content);
      const readWhole = async (): Promise<Buffer> => {
        const file = await openSource(path);
        try {
          return await readWithHeadroom(file, 100);
        } finally {
          await closeSource(file);
        }
      };
      const read = await readWhole();
      expect(read.equals(content)).toBe(true);
      expect(read.byteOffset).toBe(100);
      expect(read.byteOffset + read.length).toBe(read.buffer.byteLength);
      writeFileSync(path, '');
      expect((await readWhole()).length).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('assembleInPlace', () => {
  /** An input of `size` bytes (values 0..250 repeating) with `headroom` free bytes in front. */
  function input(size: number, headroom: number): Buffer {
    const memory = Buffer.alloc(headroom + size);
    for (let i = 0; i < size; i++) memory[headroom + i] = i % 251;
    return memory.subarray(headroom);
  }

  /** Assemble `parts` of `file`; whether the result shares the file's memory. */
  function assembled(parts: Buffer[], file: Buffer, headroom: number): boolean {
    const expected = Buffer.concat(parts); // before the file's memory is overwritten
    const out = assembleInPlace(parts, file, headroom);
    expect(out.equals(expected)).toBe(true);
    return out.buffer === file.buffer;
  }

  it('puts the new header in front of the untouched tail, in the same memory', () => {
    const file = input(1000, 64);
    const parts = [Buffer.from('new header bytes'), file.subarray(200, 600), file.subarray(600)];
    expect(assembled(parts, file, 64)).toBe(true);
  });

  it('copies header parts that are slices of the bytes it overwrites before overwriting them', () => {
    const file = input(1000, 0);
    // Kept header elements (slices of the input) around a changed one, then the tail.
    const parts = [
      file.subarray(0, 150),
      Buffer.from('changed'),
      file.subarray(140, 180),
      file.subarray(300),
    ];
    expect(assembled(parts, file, 0)).toBe(true);
  });

  it('falls back to a new buffer when the header does not fit, or no part is a tail of the input', () => {
    const file = input(100, 8);
    const grown = [Buffer.alloc(80, 7), file.subarray(60)]; // 80 > 60 + 8
    expect(assembled(grown, file, 8)).toBe(false);
    expect(assembled([Buffer.from('a'), Buffer.from(file.subarray(10))], file, 8)).toBe(false);
    expect(assembled([Buffer.from('a'), file.subarray(10, 90)], file, 8)).toBe(false);
    expect(file.subarray(0, 10).equals(input(100, 8).subarray(0, 10))).toBe(true); // untouched
  });
});
