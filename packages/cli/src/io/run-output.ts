/**
 * What `som upload` and `som deid` print while they run and when they end: report entries
 * (lines, or a JSON report on stdout with `--json`), problems above the progress bar on a
 * terminal, and a summary naming every file that was not stored or written.
 */
import {
  JsonReportSink,
  Report,
  SKIPPED_OUTCOMES,
  entryLine,
  summaryLine,
  type FileReport,
  type ReportSink,
  type RunOptions,
  type RunSummary,
} from '@som/publish';
import { errorMessage } from '@som/core';
import { EXIT } from '../runtime';
import type { Output } from './output';
import { startProgress, type Progress } from './progress';
import { counted } from './words';
import { LineSink, ProblemSink } from './sinks';

/** The output side of one run over files. */
export class RunOutput {
  /** Receives every file's outcome. */
  readonly report: Report;
  private readonly problems: ProblemSink;
  private progress: Progress | undefined;

  /**
   * @param output where to print.
   * @param json print the report as JSON on stdout (and nothing else there).
   * @param header fields of the JSON report before its files (e.g. the command).
   * @param strict a skipped file fails the run (`--strict`).
   */
  constructor(
    private readonly output: Output,
    private readonly json: boolean,
    header: Record<string, unknown>,
    private readonly strict = false,
  ) {
    this.problems = new ProblemSink(output);
    const sinks: ReportSink[] = [];
    if (json) sinks.push(new JsonReportSink((text) => output.write(text), header));
    if (output.interactive) sinks.push(this.problems);
    else if (!json) sinks.push(new LineSink(output));
    this.report = new Report(sinks, { strict });
  }

  /**
   * The callbacks of a library run that print as it goes: every file's outcome to the
   * report, a progress bar labelled `label` once the run knows its files (problems print
   * above it), and messages. Call {@link stopProgress} when the run ends.
   */
  hooks(
    label: string,
  ): Required<Pick<RunOptions, 'onFile' | 'onStart' | 'onProgress' | 'onMessage'>> {
    return {
      onFile: (entry) => this.report.add(entry),
      onStart: ({ files, bytes }) => {
        this.progress = startProgress(this.output, label, files, bytes);
        this.problems.progress = this.progress;
      },
      onProgress: (bytes) => this.progress?.advance(bytes),
      onMessage: (text) => this.output.message(text),
    };
  }

  /**
   * Close the report of a run that `err` stopped once it had reported files (the library
   * reported every file not done as interrupted): its summary names the error, which the
   * caller then prints. A run refused before any file prints no report.
   */
  async abort(err: unknown): Promise<void> {
    this.stopProgress();
    if (this.report.summary(false).files === 0) return;
    this.report.error = errorMessage(err);
    await this.report.finish(false);
  }

  /** Remove the progress bar, if one was started. */
  stopProgress(): void {
    this.progress?.stop();
    this.progress = undefined;
    this.problems.progress = undefined;
  }

  /**
   * Close the report of the run that returned `result` (with what it found of its recipe)
   * and print `<headline>: <summary>` (stdout, or stderr with `--json`), then every file that
   * was not done and every file quarantined (stderr), but those an interruption left, which
   * are only counted (the report lists them), and that there was nothing to do.
   * @param notDone what happened to the others, e.g. `uploaded`.
   * @param where where the files an interruption left are listed, e.g. `listed by --json`.
   * @returns the exit code: {@link EXIT.ok}, {@link EXIT.quarantined} when quarantines are
   *   the only problems, else {@link EXIT.failed}.
   */
  async finish(
    result: RunSummary,
    headline: string,
    notDone: string,
    where = 'listed by --json',
  ): Promise<number> {
    this.report.noDicomFiles = result.noDicomFiles;
    const summary = await this.report.finish(result.stopped, result);
    const text = `som: ${headline}: ${summaryLine(summary)}`;
    if (this.json) this.output.message(text);
    else this.output.line(text);
    const shown = this.report.problems.filter((p) => p.outcome !== 'interrupted');
    this.list(
      shown.filter((p) => p.outcome !== 'quarantined'),
      `not ${notDone}`,
    );
    this.list(
      shown.filter((p) => p.outcome === 'quarantined'),
      'quarantined: their pixels may show identity (review them: see "Pixel safeguards" in docs/cli.md)',
    );
    const left = summary.counts.interrupted;
    if (left > 0)
      this.output.message(
        `som: ${counted(left, 'file', 'files')} not started (interrupted): ${where}`,
      );
    if (summary.noDicomFiles) this.output.error('no DICOM files found');
    if (summary.ok) return EXIT.ok;
    const failures = this.report.problems.filter(
      (p) => p.outcome !== 'quarantined' && !(SKIPPED_OUTCOMES.has(p.outcome) && !this.strict),
    );
    const onlyQuarantines = failures.length === 0 && !summary.interrupted && !summary.noDicomFiles;
    return onlyQuarantines ? EXIT.quarantined : EXIT.failed;
  }

  private list(entries: readonly FileReport[], what: string): void {
    if (entries.length === 0) return;
    this.output.message(
      `som: ${entries.length} ${entries.length === 1 ? 'file was' : 'files were'} ${what}:`,
    );
    for (const entry of entries) this.output.message(`  ${entryLine(entry)}`);
  }
}
