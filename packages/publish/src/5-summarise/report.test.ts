import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SomError } from '@som/core';
import { PhiLeakError, QuarantineError } from '@som/dicom';
import { FileFailure } from '../3-deidentify/failure';
import {
  JsonReportFile,
  JsonReportSink,
  PendingFiles,
  Report,
  entryLine,
  failureEntry,
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
        quarantined: 0,
        'skipped-not-DICOM': 1,
        skipped: 0,
        interrupted: 0,
        'would-write': 0,
      },
      ok: false,
    });
    expect(summaryLine(summary)).toBe(
      '4 files: 1 written, 1 unchanged, 1 failed, 1 not DICOM (skipped)',
    );
  });

  it('counts the refusals per kind, in the summary, its line and the result', () => {
    const report = new Report([]);
    report.add({ path: 'a.dcm', outcome: 'written' });
    report.add({ path: 'b.dcm', outcome: 'failed', reason: 'x', refused: 'would-leak' });
    report.add({ path: 'c.dcm', outcome: 'failed', reason: 'y', refused: 'invalid-element' });
    report.add({ path: 'd.dcm', outcome: 'failed', reason: 'z', refused: 'would-leak' });
    report.add({ path: 'e.dcm', outcome: 'failed', reason: 'the store is down' });
    const summary = report.summary(false);
    expect(summary.refused).toEqual({ 'would-leak': 2, 'invalid-element': 1 });
    expect(report.result(false).refused).toEqual({ 'would-leak': 2, 'invalid-element': 1 });
    expect(summaryLine(summary)).toBe(
      '5 files: 1 written, 4 failed (refused: 2 would-leak, 1 invalid-element)',
    );
    expect(new Report([]).summary(false)).not.toHaveProperty('refused');
  });

  it('gives a refused file its kind of refusal, from any thread, and its error code', () => {
    const leak = new PhiLeakError('f.dcm', 'PatientName', 0x00080070, 12);
    expect(failureEntry('f.dcm', leak)).toEqual({
      outcome: 'failed',
      reason: leak.message.slice('f.dcm: '.length),
      code: 'InvalidArgument',
      refused: 'would-leak',
    });
    const sent = new FileFailure('Internal', 'its thread stopped', 'thread-stopped');
    expect(failureEntry('f.dcm', sent).refused).toBe('thread-stopped');
    expect(failureEntry('f.dcm', new Error('down'))).not.toHaveProperty('refused');
  });

  it('is ok only when no file failed and the run was not interrupted', async () => {
    const report = new Report([]);
    report.add({ path: 'a', outcome: 'would-write' });
    expect(report.summary(false).ok).toBe(true);
    expect(report.summary(true)).toMatchObject({ ok: false, interrupted: true });
    expect(summaryLine(new Report([]).summary(false))).toBe('0 files');
    report.add({ path: 'b', outcome: 'interrupted' });
    expect(report.summary(false).ok).toBe(false);
  });

  it('counts skipped files as no failure unless strict', () => {
    const skips: FileReport[] = [
      { path: 'a.dcm', outcome: 'written' },
      { path: 'notes.csv', outcome: 'skipped-not-DICOM' },
      { path: 'DICOMDIR', outcome: 'skipped', reason: 'a DICOMDIR' },
    ];
    const loose = new Report([]);
    const strict = new Report([], { strict: true });
    skips.forEach((e) => [loose, strict].forEach((r) => r.add(e)));
    expect(loose.summary(false).ok).toBe(true);
    expect(loose.result(false)).toMatchObject({ ok: true, skipped: 1, 'skipped-not-DICOM': 1 });
    expect(loose.result(false).problems.map((p) => p.path)).toEqual(['notes.csv', 'DICOMDIR']);
    expect(strict.summary(false).ok).toBe(false);
    expect(summaryLine(loose.summary(false))).toBe(
      '3 files: 1 written, 1 not DICOM (skipped), 1 skipped',
    );
  });

  it('is not ok when there was no DICOM file to process', () => {
    const report = new Report([]);
    report.add({ path: 'notes.csv', outcome: 'skipped-not-DICOM' });
    report.noDicomFiles = true;
    expect(report.summary(false)).toMatchObject({ ok: false, noDicomFiles: true });
    expect(report.result(false)).toMatchObject({ ok: false, noDicomFiles: true });
  });

  it('counts and marks the files without an item alias', () => {
    const report = new Report([]);
    report.add({ path: 'a', outcome: 'written', entity: 'e', output: 'a', noItemAlias: true });
    report.add({ path: 'b', outcome: 'written', entity: 'e', output: 'b', item: 'i' });
    expect(report.summary(false).withoutItemAlias).toBe(1);
    expect(report.result(false).withoutItemAlias).toBe(1);
    expect(summaryLine(report.summary(false))).toBe('2 files: 2 written, 1 without an item alias');
    expect(entryLine({ path: 'a', outcome: 'written', output: 'a', noItemAlias: true })).toBe(
      'written  a  -> a (no item alias)',
    );
  });

  it('tells a quarantine from a failure, naming the filter section and label, or the code of the error', () => {
    const quarantine = new QuarantineError('a.dcm', {
      reason: 'blacklisted',
      section: 'blacklist',
      label: 'Burned In Annotation',
      detail: 'flagged by the blacklist',
    });
    expect(failureEntry('a.dcm', quarantine)).toEqual({
      outcome: 'quarantined',
      reason: 'flagged by the blacklist',
      quarantine: { reason: 'blacklisted', section: 'blacklist', label: 'Burned In Annotation' },
    });
    expect(failureEntry('a.dcm', new SomError('InvalidArgument', 'a.dcm: truncated'))).toEqual({
      outcome: 'failed',
      reason: 'truncated',
      code: 'InvalidArgument',
    });
    expect(failureEntry('a.dcm', new Error('a.dcm: something unforeseen'))).toEqual({
      outcome: 'failed',
      reason: 'something unforeseen',
      code: 'Internal',
    });
  });

  it('puts what the run found of its recipe in the summary, only when there is something', () => {
    const report = new Report([]);
    report.add({ path: 'a', outcome: 'quarantined', reason: 'flagged' });
    const findings = { recipeWarnings: ['r line 2: does nothing'], unmatchedSelectors: [] };
    expect(report.summary(false, findings)).toEqual({
      files: 1,
      counts: expect.objectContaining({ quarantined: 1 }),
      ok: false,
      recipeWarnings: ['r line 2: does nothing'],
    });
    expect(report.result(false, findings)).toMatchObject({
      quarantined: 1,
      ok: false,
      problems: [{ path: 'a', outcome: 'quarantined', reason: 'flagged' }],
      recipeWarnings: ['r line 2: does nothing'],
      unmatchedSelectors: [],
    });
  });

  it('prints an entry on one line', () => {
    expect(entryLine(entries[0] as FileReport)).toBe('written  a.dcm  -> e1/1.2');
    expect(entryLine(entries[2] as FileReport)).toBe('failed  c.dcm: no PatientID');
    expect(entryLine({ path: 'x', outcome: 'written', output: 'dir/x', entity: 'e' })).toBe(
      'written  x  -> dir/x',
    );
  });
});

describe('PendingFiles', () => {
  it('reports every file without an outcome as interrupted, once, an input given twice twice', () => {
    const seen: FileReport[] = [];
    const pending = new PendingFiles();
    const report = new Report([
      pending,
      { add: (e) => seen.push(e), finish: async () => undefined },
    ]);
    report.add({ path: 'notes.csv', outcome: 'skipped-not-DICOM' });
    const files = ['a.dcm', 'b.dcm', 'b.dcm', 'c.dcm'].map((path, i) => ({ path, index: i + 1 }));
    pending.expect(files);
    report.add({ path: 'a.dcm', outcome: 'written' }, files[0]);
    report.add({ path: 'b.dcm', outcome: 'written' }, files[2]);
    pending.interrupt(report, 'not started: stopped');
    pending.interrupt(report, 'again');
    expect(seen.map((e) => [e.path, e.outcome, e.reason])).toEqual([
      ['notes.csv', 'skipped-not-DICOM', undefined],
      ['a.dcm', 'written', undefined],
      ['b.dcm', 'written', undefined],
      ['b.dcm', 'interrupted', 'not started: stopped'],
      ['c.dcm', 'interrupted', 'not started: stopped'],
    ]);
    expect(report.counts.interrupted).toBe(2);
  });
});

describe('JSON reports', () => {
  it('write nothing before the first entry or the end', async () => {
    let text = '';
    const report = new Report([new JsonReportSink((t) => (text += t), { command: 'upload' })]);
    expect(text).toBe('');
    await report.finish(false);
    expect(JSON.parse(text)).toMatchObject({ command: 'upload', files: [] });
  });

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
