import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileHolds, writeFileAtomically } from './atomic-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomically', () => {
  it('writes parts in order without joining them, creating directories, leaving no temporary file', async () => {
    const parts = [
      Buffer.from('head '),
      Buffer.alloc(0),
      Buffer.alloc(3 << 20, 7),
      Buffer.from(' tail'),
    ];
    const target = join(dir, 'a', 'b', 'out.dcm');
    await writeFileAtomically(target, parts);
    expect(readFileSync(target).equals(Buffer.concat(parts))).toBe(true);
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['out.dcm']);
  });

  it('replaces a file whole, and leaves it untouched when the check of a stream refuses', async () => {
    const target = join(dir, 'out');
    writeFileSync(target, 'before');
    await expect(
      writeFileAtomically(target, Readable.from([Buffer.from('corrupt')]), ({ size, md5 }) => {
        expect(size).toBe(7);
        throw new Error(`refused ${md5}`);
      }),
    ).rejects.toThrow(/^refused [0-9a-f]{32}$/);
    expect(readFileSync(target, 'utf8')).toBe('before');
    expect(readdirSync(dir)).toEqual(['out']);
    await writeFileAtomically(target, [Buffer.from('after')]);
    expect(readFileSync(target, 'utf8')).toBe('after');
  });
});

describe('fileHolds', () => {
  it('tells whether a file holds exactly the bytes of the parts', async () => {
    const bytes = Buffer.alloc((1 << 20) + 5, 1);
    bytes[bytes.length - 1] = 2;
    const path = join(dir, 'f');
    writeFileSync(path, bytes);
    const parts = [bytes.subarray(0, 10), bytes.subarray(10)];
    expect(await fileHolds(path, parts)).toBe(true);
    expect(await fileHolds(path, [bytes])).toBe(true);
    const other = Buffer.from(bytes);
    other[other.length - 1] = 3; // same size, last byte differs (past the first chunk read)
    expect(await fileHolds(path, [other])).toBe(false);
    expect(await fileHolds(path, [bytes.subarray(1)])).toBe(false);
    expect(await fileHolds(join(dir, 'missing'), [bytes])).toBe(false);
    writeFileSync(path, '');
    expect(await fileHolds(path, [])).toBe(true);
  });
});
