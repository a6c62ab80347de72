/**
 * The per-file report of `som upload` and `som deid`: every input file with its outcome.
 * Entries are streamed to their destination (stdout, a report file) as files finish, so a
 * run over any number of files holds only the counts and the failures.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { temporaryPathFor } from '../3-deidentify/atomic-file';

/** What happened to one input file. */
export type FileOutcome =
  /** Stored (uploaded, or its record rewritten) or written to the output directory. */
  | 'written'
  /** Already stored with the same bytes and fields: nothing to do. */
  | 'unchanged'
  /** Not stored or written; `reason` says why. */
  | 'failed'
  /** Not a DICOM file (recognised by content): left alone. */
  | 'skipped-not-DICOM'
  /** Not started because the run was interrupted. */
  | 'interrupted'
  /** `--dry-run`: would be stored. */
  | 'would-write';

/** Outcomes that count as success (exit code 0 when every file has one). */
export const SUCCESS_OUTCOMES: ReadonlySet<FileOutcome> = new Set<FileOutcome>([
  'written',
  'unchanged',
  'would-write',
]);

/** The report entry of one input file. */
export interface FileReport {
  /** The input path, as given on the command line joined with the path inside it. */
  path: string;
  outcome: FileOutcome;
  /** Why it failed or was skipped. */
  reason?: string;
  /** The entity uid (the patient's alias). */
  entity?: string;
  /** The image uid (upload) or item alias (deid). */
  image?: string;
  /** The item alias the DASHER response gave the file's item (deid). */
  item?: string;
  /** The output file, relative to the output directory (deid). */
  output?: string;
  /** Bytes of the de-identified file. */
  size?: number;
}

/** Told of each file whose outcome is known, with its size. */
export interface Progress {
  /** A file is done (whatever its outcome), `bytes` long. */
  advance(bytes: number): void;
}

/** Counts per outcome. */
export type OutcomeCounts = Record<FileOutcome, number>;

/** Where report entries go as they are added. */
export interface ReportSink {
  add(entry: FileReport): void;
  /** Called once with the summary after the last entry. */
  finish(summary: ReportSummary): Promise<void>;
}

/** The end of a report. */
export interface ReportSummary {
  files: number;
  counts: OutcomeCounts;
  /** True when every file has a success outcome. */
  ok: boolean;
  /** Set when the run was stopped by a signal. */
  interrupted?: boolean;
}

/** What a run over files gives back: how many files had each outcome, and every file not done. */
export interface RunSummary extends OutcomeCounts {
  /** Every input file reported. */
  files: number;
  /** True when every file has a success outcome and the run was not interrupted. */
  ok: boolean;
  /** True when the run was stopped by its signal (`interrupted` counts the files it left). */
  stopped: boolean;
  /** The entries whose outcome is not a success, in order. */
  problems: FileReport[];
}

/** Collects counts and failures and passes every entry on to its sinks. */
export class Report {
  readonly counts: OutcomeCounts = {
    written: 0,
    unchanged: 0,
    failed: 0,
    'skipped-not-DICOM': 0,
    interrupted: 0,
    'would-write': 0,
  };
  /** Entries whose outcome is not a success, in order. */
  readonly problems: FileReport[] = [];
  private total = 0;

  /** @param sinks where entries go as they are added. */
  constructor(private readonly sinks: readonly ReportSink[]) {}

  /** Record one file's outcome. */
  add(entry: FileReport): void {
    this.total++;
    this.counts[entry.outcome]++;
    if (!SUCCESS_OUTCOMES.has(entry.outcome)) this.problems.push(entry);
    for (const sink of this.sinks) sink.add(entry);
  }

  /** The summary so far. */
  summary(interrupted: boolean): ReportSummary {
    return {
      files: this.total,
      counts: { ...this.counts },
      ok: this.problems.length === 0 && !interrupted,
      ...(interrupted ? { interrupted } : {}),
    };
  }

  /** The summary a library caller gets. */
  result(interrupted: boolean): RunSummary {
    return {
      ...this.counts,
      files: this.total,
      ok: this.problems.length === 0 && !interrupted,
      stopped: interrupted,
      problems: [...this.problems],
    };
  }

  /** Close every sink with the summary. */
  async finish(interrupted: boolean): Promise<ReportSummary> {
    const summary = this.summary(interrupted);
    for (const sink of this.sinks) await sink.finish(summary);
    return summary;
  }
}

/** One line of the summary: `N files: a written, b unchanged, ...` (only outcomes that occurred). */
export function summaryLine(summary: ReportSummary): string {
  const parts = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(
      ([outcome, n]) => `${n} ${outcome === 'skipped-not-DICOM' ? 'not DICOM (skipped)' : outcome}`,
    );
  return `${summary.files} ${summary.files === 1 ? 'file' : 'files'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** A readable line for one entry. */
export function entryLine(entry: FileReport): string {
  const where =
    entry.output ??
    (entry.entity !== undefined ? `${entry.entity}/${entry.image ?? '?'}` : undefined);
  return `${entry.outcome}  ${entry.path}${where !== undefined ? `  -> ${where}` : ''}${entry.reason !== undefined ? `: ${entry.reason}` : ''}`;
}

/**
 * Writes a report as one JSON document `{<header fields>, "files": [...], "summary": {...}}`,
 * streaming the entries to `write`.
 */
export class JsonReportSink implements ReportSink {
  private count = 0;

  /**
   * @param write receives the text in pieces.
   * @param header fields written before `files` (e.g. the command and collection).
   */
  constructor(
    private readonly write: (text: string) => void,
    header: Record<string, unknown>,
  ) {
    const head = JSON.stringify(header, null, 2);
    this.write(`${head.slice(0, -2)}${head.length > 2 ? ',\n' : ''}  "files": [`);
  }

  add(entry: FileReport): void {
    this.write(`${this.count++ === 0 ? '\n' : ',\n'}    ${JSON.stringify(entry)}`);
  }

  async finish(summary: ReportSummary): Promise<void> {
    const body = JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ');
    this.write(`${this.count > 0 ? '\n  ' : ''}],\n  "summary": ${body}\n}\n`);
  }
}

/** A {@link JsonReportSink} into a file, written to a temporary name and renamed when finished. */
export class JsonReportFile implements ReportSink {
  private readonly stream: WriteStream;
  private readonly json: JsonReportSink;
  private readonly temp: string;

  /**
   * @param path the report file.
   * @param header fields written before `files`.
   */
  constructor(
    private readonly path: string,
    header: Record<string, unknown>,
  ) {
    this.temp = temporaryPathFor(path);
    this.stream = createWriteStream(this.temp, { flags: 'wx' });
    this.json = new JsonReportSink((text) => this.stream.write(text), header);
  }

  add(entry: FileReport): void {
    this.json.add(entry);
  }

  async finish(summary: ReportSummary): Promise<void> {
    await this.json.finish(summary);
    this.stream.end();
    try {
      await once(this.stream, 'finish');
      await rename(this.temp, this.path);
    } catch (err) {
      await unlink(this.temp).catch(() => undefined);
      throw err;
    }
  }
}
