import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isSomError } from '@som/core';
import { readFileHeader, type DicomHeader } from '@som/dicom';
import { IdentifierCollector } from './identity';

const SAMPLE = join(__dirname, '..', '..', '..', '..', 'sample', 'dicom');
const files = readdirSync(SAMPLE, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.dcm'))
  .sort()
  .map((name) => join(SAMPLE, name));

const headers = (): Promise<DicomHeader[]> =>
  Promise.all(files.map((file) => readFileHeader(file, statSync(file).size)));

describe('IdentifierCollector', () => {
  it('gives the same keys when it gathers only keys as when it gathers the request', async () => {
    const all = await headers();
    expect(all.length).toBeGreaterThanOrEqual(7);
    const request = new IdentifierCollector();
    const keys = new IdentifierCollector({}, 'keys');
    const fromRequest = all.map((header) => request.add(header));
    expect(all.map((header) => keys.add(header))).toStrictEqual(fromRequest);
    expect(new Set(fromRequest.map((k) => k.entityId)).size).toBe(3);
    expect(fromRequest.every((k) => k.sopInstanceUid !== undefined)).toBe(true);
    expect(request.request().identifiers).toHaveLength(3);
  });

  it('has no request when it gathered only keys, and checks its options all the same', async () => {
    const keys = new IdentifierCollector({}, 'keys');
    keys.add((await headers())[0] as DicomHeader);
    expect(() => keys.request()).toThrow(/only the keys/);
    let error: unknown;
    try {
      new IdentifierCollector({ itemLevel: 'frame' as never }, 'keys');
    } catch (err) {
      error = err;
    }
    expect(isSomError(error, 'InvalidArgument')).toBe(true);
  });
});
