import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  readFileHeader,
  readHeaderFromPrefixes,
  readHeaderIfDicom,
  readStreamHeader,
} from './header-file';

const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT = `${PYDICOM}/CT_small.dcm`;
const DEFLATED = `${PYDICOM}/image_dfl.dcm`;

describe('reading only the header', () => {
  it('grows the prefix until the parse reaches the pixel data, never reading them', async () => {
    const bytes = readFileSync(CT);
    const asked: number[] = [];
    const header = await readHeaderFromPrefixes(
      'CT_small.dcm',
      bytes.length,
      async (n) => (asked.push(n), bytes.subarray(0, n)),
      256,
    );
    expect(header.string('PatientID')).toBe('1CT1');
    expect(header.number('Rows')).toBe(128);
    expect(asked[0]).toBe(256);
    expect(asked.length).toBeGreaterThan(1);
    expect(asked).toEqual([256, 1024, 4096, 16384]);
    expect(Math.max(...asked)).toBeLessThan(bytes.length);
  });

  it('recognises DICOM by content with the same read', async () => {
    const readme = `${PYDICOM}/README.txt`;
    expect(await readHeaderIfDicom(readme, statSync(readme).size)).toBeUndefined();
    await expect(readFileHeader(readme, statSync(readme).size, 'README.txt')).rejects.toThrow(
      'README.txt is not a DICOM file',
    );
    expect((await readHeaderIfDicom(CT, statSync(CT).size))?.string('Modality')).toBe('CT');
  });

  it('reads a whole small file, and a deflated one', async () => {
    expect((await readFileHeader(CT, statSync(CT).size)).string('PatientID')).toBe('1CT1');
    const deflated = await readFileHeader(DEFLATED, statSync(DEFLATED).size);
    expect(deflated.transferSyntax.deflated).toBe(true);
    expect(deflated.string('Modality')).toBeDefined();
  });

  it('fails on a malformed file once all of it was tried, naming the source', async () => {
    const bytes = Buffer.concat([
      readFileSync(CT).subarray(0, 1000),
      Buffer.from([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0xff, 0x7f]),
    ]);
    const asked: number[] = [];
    await expect(
      readHeaderFromPrefixes(
        'broken.dcm',
        bytes.length,
        async (n) => (asked.push(n), bytes.subarray(0, n)),
        256,
      ),
    ).rejects.toThrow(/broken\.dcm/);
    expect(asked[asked.length - 1]).toBe(bytes.length);
  });

  it('stops when a file turns out shorter than its size said', async () => {
    const bytes = readFileSync(CT).subarray(0, 600);
    await expect(
      readHeaderFromPrefixes('short.dcm', 1_000_000, async (n) => bytes.subarray(0, n), 256),
    ).rejects.toThrow(/short\.dcm/);
  });

  it('reads the header of a stream and releases it', async () => {
    const bytes = readFileSync(CT);
    const stream = Readable.from([bytes.subarray(0, 3000), bytes.subarray(3000)]);
    const header = await readStreamHeader(stream, bytes.length, 'object');
    expect(header.string('PatientID')).toBe('1CT1');
    expect(stream.destroyed).toBe(true);
  });
});
