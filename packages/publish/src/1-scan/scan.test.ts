import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Report } from '../5-summarise/report';
import { scanInputs } from './scan';
import { walkInputs, type InputFile } from './walk';

const SAMPLE = join(__dirname, '..', '..', '..', '..', 'sample', 'dicom');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-scan-'));
  cpSync(SAMPLE, join(dir, 'in'), { recursive: true });
  mkdirSync(join(dir, 'in', 'again'));
  cpSync(join(SAMPLE, 'patient-a', 'IM0001.dcm'), join(dir, 'in', 'again', 'IM0001.dcm'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INPUTS = ['./in/', 'in/patient-b/../patient-a/IM0002.dcm', 'in/patient-c'];

/** What the walk gives for every file of `INPUTS` (the scan keeps its own representation). */
async function walked(): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for await (const entry of walkInputs(INPUTS, { cwd: dir }))
    if (entry.kind === 'file') files.push(entry);
  return files;
}

describe('scanInputs', () => {
  it('keeps each DICOM file with the paths, size and position the walk gave it', async () => {
    const report = new Report([]);
    const scan = await scanInputs(INPUTS, { cwd: dir, concurrency: 3 }, report);
    const byIndex = await walked();
    expect(scan.files.length).toBeGreaterThan(8);
    expect(scan.files.length + report.counts['skipped-not-DICOM']).toBe(byIndex.length);
    for (const file of scan.files) {
      const { path, relative, absolute, size } = byIndex[file.index] as InputFile;
      expect({
        path: file.path,
        relative: file.relative,
        absolute: file.absolute,
        size: file.size,
      }).toEqual({ path, relative, absolute, size });
    }
    const direct = scan.files.find((file) => file.path === INPUTS[1]);
    expect(direct?.relative).toBe('IM0002.dcm');
    expect(direct?.absolute).toBe(join(dir, 'in', 'patient-a', 'IM0002.dcm'));
  });

  it('marks a file of the same patient and SOPInstanceUID as an earlier one as its duplicate', async () => {
    const scan = await scanInputs(INPUTS, { cwd: dir, concurrency: 3 }, new Report([]));
    const duplicates = scan.files
      .filter((file) => file.duplicateOf !== undefined)
      .map((file) => [file.path, file.duplicateOf]);
    // The walk reaches in/again before in/patient-a; IM0002 is given twice.
    expect(duplicates).toEqual([
      ['in/patient-a/IM0001.dcm', 'in/again/IM0001.dcm'],
      [INPUTS[1], 'in/patient-a/IM0002.dcm'],
    ]);
  });
});
