import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JsonReportFile,
  JsonReportSink,
  Report,
  entryLine,
  summaryLine,
  type FileReport,
  type ReportSink,
} from './report';

const entries: FileReport[] = [
  { path: 'a.dcm', outcome: 'written', entity: 'e1', image: '1.2' },
  { path: 'b.txt', outcome: 'skipped-not-DICOM' },
  { path: 'c.dcm', outcome: 'failed', reason: 'no PatientID' },
  { path: 'd.dcm', outcome: 'unchanged', entity: 'e1', image: '1.3' },
];

describe('Report', () => {
  it('counts outcomes, keeps the problems and passes every entry on', async () => {
    const seen: FileReport[] = [];
    const sink: ReportSink = { add: (e) => seen.push(e), finish: async () => undefined };
    const report = new Report([sink]);
    entries.forEach((e) => report.add(e));
    const summary = await report.finish(false);
    expect(seen).toEqual(entries);
    expect(report.problems.map((p) => p.path)).toEqual(['b.txt', 'c.dcm']);
    expect(summary).toEqual({
      files: 4,
      counts: {
        written: 1,
        unchanged: 1,
        failed: 1,
        'skipped-not-DICOM': 1,
        interrupted: 0,
        'would-write': 0,
      },
      ok: false,
    });
    expect(summaryLine(summary)).toBe(
      '4 files: 1 written, 1 unchanged, 1 failed, 1 not DICOM (skipped)',
    );
  });

  it('is ok only when every file succeeded and the run was not interrupted', async () => {
    const report = new Report([]);
    report.add({ path: 'a', outcome: 'would-write' });
    expect(report.summary(false).ok).toBe(true);
    expect(report.summary(true)).toMatchObject({ ok: false, interrupted: true });
    expect(summaryLine(new Report([]).summary(false))).toBe('0 files');
  });

  it('prints an entry on one line', () => {
    expect(entryLine(entries[0] as FileReport)).toBe('written  a.dcm  -> e1/1.2');
    expect(entryLine(entries[2] as FileReport)).toBe('failed  c.dcm: no PatientID');
    expect(entryLine({ path: 'x', outcome: 'written', output: 'dir/x', entity: 'e' })).toBe(
      'written  x  -> dir/x',
    );
  });
});

describe('JSON reports', () => {
  it('stream one valid JSON document', async () => {
    for (const count of [0, 1, 4]) {
      let text = '';
      const report = new Report([
        new JsonReportSink((t) => (text += t), { command: 'upload', collection: 'c' }),
      ]);
      entries.slice(0, count).forEach((e) => report.add(e));
      await report.finish(false);
      const json = JSON.parse(text) as {
        command: string;
        files: FileReport[];
        summary: { files: number };
      };
      expect(json.command).toBe('upload');
      expect(json.files).toEqual(entries.slice(0, count));
      expect(json.summary.files).toBe(count);
    }
  });

  it('appear in a report file only when finished, whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'som-report-'));
    try {
      const path = join(dir, 'som-report.json');
      const report = new Report([new JsonReportFile(path, { command: 'deid' })]);
      entries.forEach((e) => report.add(e));
      expect(readdirSync(dir).filter((n) => n === 'som-report.json')).toEqual([]);
      await report.finish(true);
      expect(readdirSync(dir)).toEqual(['som-report.json']);
      const json = JSON.parse(readFileSync(path, 'utf8')) as {
        files: FileReport[];
        summary: { interrupted: boolean };
      };
      expect(json.files).toHaveLength(4);
      expect(json.summary.interrupted).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
