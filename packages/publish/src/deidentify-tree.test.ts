import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deidentifyTree } from './deidentify-tree';
import type { FileReport } from './5-summarise/report';

const SAMPLE = join(__dirname, '..', '..', '..', 'sample', 'dicom');
const run = { env: {}, secret: 'the pseudonymisation key of the deid tree test' };

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'som-deid-tree-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** Copy the sample file `from` (relative to the sample) to `to` (relative to `cwd`). */
function copy(from: string, to: string): void {
  mkdirSync(join(cwd, to, '..'), { recursive: true });
  cpSync(join(SAMPLE, from), join(cwd, to));
}

/** Every entry of the report written into `out`, by path. */
function reported(out: string): Map<string, FileReport> {
  const report = JSON.parse(readFileSync(join(cwd, out, 'som-report.json'), 'utf8')) as {
    files: FileReport[];
  };
  return new Map(report.files.map((entry) => [entry.path, entry]));
}

describe('deidentifyTree', () => {
  it('gives an output path to the first of two inputs that both have it; the other fails', async () => {
    copy('patient-a/IM0001.dcm', 'a/x/1.dcm');
    copy('patient-b/IM0001.dcm', 'b/x/1.dcm');
    copy('patient-b/IM0002.dcm', 'b/x/2.dcm');
    const summary = await deidentifyTree(['a', 'b'], { ...run, cwd, out: 'out' });
    expect(summary).toMatchObject({ written: 2, failed: 1 });
    const entries = reported('out');
    expect(entries.get('a/x/1.dcm')).toMatchObject({ outcome: 'written', output: 'x/1.dcm' });
    expect(entries.get('b/x/1.dcm')).toMatchObject({
      outcome: 'failed',
      reason: 'its output x/1.dcm is already taken by a/x/1.dcm',
    });
    expect(entries.get('b/x/2.dcm')).toMatchObject({ outcome: 'written', output: 'x/2.dcm' });
  });

  it('never writes a file of a single input over the report', async () => {
    copy('patient-a/IM0001.dcm', 'in/som-report.json');
    copy('patient-a/IM0002.dcm', 'in/2.dcm');
    const summary = await deidentifyTree(['in'], { ...run, cwd, out: 'out' });
    expect(summary).toMatchObject({ written: 1, failed: 1 });
    expect(reported('out').get('in/som-report.json')).toMatchObject({
      outcome: 'failed',
      reason: 'its output som-report.json is already taken by the report of som deid',
    });
  });
});
