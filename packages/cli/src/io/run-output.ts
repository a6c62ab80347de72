/**
 * What `som upload` and `som deid` print while they run and when they end: report entries
 * (lines, or a JSON report on stdout with `--json`), problems above the progress bar on a
 * terminal, and a summary naming every file that was not stored or written.
 */
import {
  JsonReportSink,
  Report,
  entryLine,
  summaryLine,
  type ReportSink,
  type ReportSummary,
  type RunOptions,
} from '@som/publish';
import type { Output } from './output';
import { startProgress, type Progress } from './progress';
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
   * @param extra more sinks (e.g. a report file).
   */
  constructor(
    private readonly output: Output,
    private readonly json: boolean,
    header: Record<string, unknown>,
    extra: readonly ReportSink[] = [],
  ) {
    this.problems = new ProblemSink(output);
    const sinks: ReportSink[] = [...extra];
    if (json)
      sinks.push(
        new JsonReportSink((text) => output.stdout.write(output.secrets.redact(text)), header),
      );
    if (output.interactive) sinks.push(this.problems);
    else if (!json) sinks.push(new LineSink(output));
    this.report = new Report(sinks);
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

  /** Remove the progress bar, if one was started. */
  stopProgress(): void {
    this.progress?.stop();
    this.progress = undefined;
    this.problems.progress = undefined;
  }

  /**
   * Close the report and print `<headline>: <summary>` (stdout, or stderr with `--json`),
   * then every file that was not done (stderr).
   * @param notDone what happened to the others, e.g. `uploaded`.
   */
  async finish(interrupted: boolean, headline: string, notDone: string): Promise<ReportSummary> {
    const summary = await this.report.finish(interrupted);
    const text = `som: ${headline}: ${summaryLine(summary)}`;
    if (this.json) this.output.message(text);
    else this.output.line(text);
    const { problems } = this.report;
    if (problems.length > 0) {
      this.output.message(
        `som: ${problems.length} ${problems.length === 1 ? 'file was' : 'files were'} not ${notDone}:`,
      );
      for (const problem of problems) this.output.message(`  ${entryLine(problem)}`);
    }
    return summary;
  }
}
