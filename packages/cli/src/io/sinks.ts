/**
 * Where report entries are printed while a run goes on: every entry as a line (stdout is
 * not a terminal), or only the problems above the progress bar (a terminal).
 */
import { entryLine, SUCCESS_OUTCOMES, type FileReport, type ReportSink } from '@som/publish';
import type { Output } from './output';
import type { Progress } from './progress';

/** Prints each entry as a line on stdout. */
export class LineSink implements ReportSink {
  /** @param output where to print. */
  constructor(private readonly output: Output) {}

  add(entry: FileReport): void {
    this.output.line(entryLine(entry));
  }

  async finish(): Promise<void> {}
}

/** Prints the entries that are not successes on stderr, above the progress bar when there is one. */
export class ProblemSink implements ReportSink {
  /** The bar of the current pass, if any. */
  progress: Progress | undefined;

  /** @param output where to print when no bar is shown. */
  constructor(private readonly output: Output) {}

  add(entry: FileReport): void {
    if (SUCCESS_OUTCOMES.has(entry.outcome)) return;
    if (this.progress) this.progress.message(entryLine(entry));
    else this.output.message(entryLine(entry));
  }

  async finish(): Promise<void> {}
}
