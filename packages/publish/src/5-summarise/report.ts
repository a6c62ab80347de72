/**
 * The per-file report of `som upload` and `som deid`: every input file with its outcome.
 * Entries are streamed to their destination (stdout, a report file) as files finish, so a
 * run over any number of files holds only the counts and the failures.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { errorCode, type ErrorCode } from '@som/core';
import { isQuarantine, type PixelCleaning, type QuarantineReason } from '@som/dicom';
import { reasonFor } from '../1-scan/scan';
import { temporaryPathFor } from '../3-deidentify/atomic-file';
import type { DeidNotes } from '../3-deidentify/deid-file';
import { fileRefusalOf, type FileRefusal } from '../3-deidentify/failure';

/** The report `som deid` writes into its output directory (a directory holding one is not walked again). */
export const DEID_REPORT_NAME = 'som-report.json';

/** What happened to one input file. */
export type FileOutcome =
  /** Stored (uploaded, or its record rewritten) or written to the output directory. */
  | 'written'
  /** Already stored with the same bytes and fields: nothing to do. */
  | 'unchanged'
  /** Not stored or written; `reason` says why. */
  | 'failed'
  /**
   * Kept out by the pixel safeguards (its pixels may show identity: a pixel filter flagged
   * it, it cannot be cleaned, or OCR found text): never stored or written; `reason` and
   * `quarantine` say why.
   */
  | 'quarantined'
  /** Not a DICOM file (recognised by content): left alone. */
  | 'skipped-not-DICOM'
  /** Left alone on purpose (a DICOMDIR, the output of `som deid`); `reason` says why. */
  | 'skipped'
  /** Not started because the run was interrupted. */
  | 'interrupted'
  /** `--dry-run`: would be stored. */
  | 'would-write';

/** Every outcome, in the order reports count them. */
export const FILE_OUTCOMES: readonly FileOutcome[] = [
  'written',
  'unchanged',
  'failed',
  'quarantined',
  'skipped-not-DICOM',
  'skipped',
  'interrupted',
  'would-write',
];

/** Outcomes that count as success: the file was (or would be) stored or written. */
export const SUCCESS_OUTCOMES: ReadonlySet<FileOutcome> = new Set<FileOutcome>([
  'written',
  'unchanged',
  'would-write',
]);

/** Outcomes of files left alone: no failure, unless the run is strict. */
export const SKIPPED_OUTCOMES: ReadonlySet<FileOutcome> = new Set<FileOutcome>([
  'skipped-not-DICOM',
  'skipped',
]);

/** The report entry of one input file. */
export interface FileReport {
  /** The input path, as given on the command line joined with the path inside it. */
  path: string;
  outcome: FileOutcome;
  /** Why it failed or was skipped. */
  reason?: string;
  /**
   * The kind of error a `failed` file met while being de-identified or stored (a
   * `SomError` code: `InvalidArgument`, `Unavailable`, ...): whether a retry may help.
   */
  code?: ErrorCode;
  /**
   * The kind of refusal of a file that could not be de-identified (malformed, an invalid
   * element, would leak, over the limits, too large, its thread stopped); absent for other
   * failures (a store, an alias) and for other outcomes.
   */
  refused?: FileRefusal;
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
  /** Why a `quarantined` file was kept out: the kind, and the filter section and label that flagged it. */
  quarantine?: { reason: QuarantineReason; section?: string; label?: string };
  /** What was blanked in the pixel data of a file written (absent: its pixel data is the input's, byte for byte). */
  pixels?: PixelCleaning;
  /**
   * Set when the aliases had no item for the file (none of its patient's items identifies
   * its accession, study or image): it took its patient's alias and jitter only.
   */
  noItemAlias?: true;
}

/** The report entry fields of a file that could not be de-identified or stored: `quarantined` or `failed`. */
export function failureEntry(
  path: string,
  err: unknown,
): Pick<FileReport, 'outcome' | 'reason' | 'code' | 'refused' | 'quarantine'> {
  if (!isQuarantine(err)) {
    const refused = fileRefusalOf(err);
    return {
      outcome: 'failed',
      reason: reasonFor(path, err),
      code: errorCode(err),
      ...(refused !== undefined ? { refused } : {}),
    };
  }
  const { reason: why, section, label, detail } = err.quarantine;
  return {
    outcome: 'quarantined',
    reason: detail,
    quarantine: {
      reason: why,
      ...(section !== undefined ? { section } : {}),
      ...(label !== undefined ? { label } : {}),
    },
  };
}

/** The report entry fields of a de-identified file's notes: what was blanked in its pixels, if anything. */
export function pixelsEntry(notes: DeidNotes): Pick<FileReport, 'pixels'> {
  return notes.pixelCleaning !== undefined ? { pixels: notes.pixelCleaning } : {};
}

/** What a run says of its recipe, besides the files: for the summary. */
export interface RecipeFindings {
  /** Lines of the recipe that do nothing (said when it was loaded). */
  recipeWarnings: readonly string[];
  /** Rules whose field selected nothing in any file de-identified. */
  unmatchedSelectors: readonly string[];
}

/** Told of each file whose outcome is known, with its size. */
export interface Progress {
  /** A file is done (whatever its outcome), `bytes` long. */
  advance(bytes: number): void;
}

/** Counts per outcome. */
export type OutcomeCounts = Record<FileOutcome, number>;

/** How many files were refused, per kind of refusal (kinds that occurred only). */
export type RefusalCounts = Partial<Record<FileRefusal, number>>;

/** A count of zero for every outcome. */
export function zeroCounts(): OutcomeCounts {
  return Object.fromEntries(FILE_OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;
}

/**
 * An input file of the second pass, as the run gives it with its report entry: its position
 * among the inputs (the walk order), unique to it even when the same path is given twice.
 */
export interface ReportedFile {
  readonly index: number;
}

/** Where report entries go as they are added. */
export interface ReportSink {
  /** `entry` is the outcome of `file` when the run gives it (a file of the second pass). */
  add(entry: FileReport, file?: ReportedFile): void;
  /** Called once with the summary after the last entry. */
  finish(summary: ReportSummary): Promise<void>;
}

/** The end of a report. */
export interface ReportSummary {
  files: number;
  counts: OutcomeCounts;
  /** Files de-identified with their patient's aliases only (see {@link FileReport.noItemAlias}). */
  withoutItemAlias?: number;
  /** Files refused, per kind of refusal (see {@link FileReport.refused}), when there were any. */
  refused?: RefusalCounts;
  /**
   * True when every file was stored, written or skipped (with `strict`, not skipped), the
   * run was not interrupted, and some DICOM file was found.
   */
  ok: boolean;
  /** Set when the run was stopped by a signal. */
  interrupted?: boolean;
  /**
   * The error that stopped the run before its end, when one did (the files it left are
   * `interrupted`); never a value from a file.
   */
  error?: string;
  /** Set when the inputs held no DICOM file to process: nothing was done. */
  noDicomFiles?: true;
  /** The recipe's lines that do nothing, when there are any. */
  recipeWarnings?: string[];
  /** The recipe's rules that selected nothing in any file, when there are any. */
  unmatchedSelectors?: string[];
}

/** What a run over files gives back: how many files had each outcome, and every file not done. */
export interface RunSummary extends OutcomeCounts {
  /** Every input file reported. */
  files: number;
  /** Files refused, per kind of refusal (see {@link FileReport.refused}). */
  refused: RefusalCounts;
  /** Files de-identified with their patient's aliases only (see {@link FileReport.noItemAlias}). */
  withoutItemAlias: number;
  /** See {@link ReportSummary.ok}; false too when the run was interrupted. */
  ok: boolean;
  /** True when the run was stopped by its signal (`interrupted` counts the files it left). */
  stopped: boolean;
  /** True when the inputs held no DICOM file to process: nothing was done. */
  noDicomFiles: boolean;
  /** The entries whose outcome is not a success, in order (skipped files too). */
  problems: FileReport[];
  /** The recipe's lines that do nothing (see {@link RecipeFindings}). */
  recipeWarnings: string[];
  /** The recipe's rules that selected nothing in any file. */
  unmatchedSelectors: string[];
}

/** Options of a {@link Report}. */
export interface ReportOptions {
  /** A skipped file fails the run (`--strict`). */
  strict?: boolean;
}

/**
 * The input files of a run whose outcome is not reported yet, as a sink of the run's
 * report: a run that stops early (an error, an interruption, the process exiting) still
 * gives each of them an outcome with {@link interrupt}. It holds one byte per input file
 * (by its position, outside the JavaScript heap) besides the list of files the run holds
 * anyway: no string or entry per file.
 */
export class PendingFiles implements ReportSink {
  /** The files expected. */
  private files: readonly (ReportedFile & { path: string })[] = [];
  /** 1 at the position of each file reported. */
  private reported = new Uint8Array(0);

  /** Expect an outcome for each of `files` (reported with their entry, see {@link ReportSink.add}). */
  expect(files: readonly (ReportedFile & { path: string })[]): void {
    this.files = files;
    this.reported = new Uint8Array(files.reduce((end, file) => Math.max(end, file.index + 1), 0));
  }

  add(_entry: FileReport, file?: ReportedFile): void {
    if (file !== undefined && file.index < this.reported.length) this.reported[file.index] = 1;
  }

  async finish(): Promise<void> {}

  /** Report every file still pending to `report` as `interrupted`, for `reason`. */
  interrupt(report: Report, reason: string): void {
    const { files } = this;
    this.files = [];
    for (const file of files)
      if (this.reported[file.index] !== 1)
        report.add({ path: file.path, outcome: 'interrupted', reason }, file);
  }
}

/** Collects counts and failures and passes every entry on to its sinks. */
export class Report {
  readonly counts: OutcomeCounts = zeroCounts();
  /** Entries whose outcome is not a success, in order. */
  readonly problems: FileReport[] = [];
  /** Set by the run when the inputs held no DICOM file to process. */
  noDicomFiles = false;
  /** Set by the run when an error stopped it before its end (see {@link ReportSummary.error}). */
  error: string | undefined;
  private total = 0;
  private withoutItemAlias = 0;
  private readonly refused: RefusalCounts = {};

  /**
   * @param sinks where entries go as they are added.
   * @param options see {@link ReportOptions}.
   */
  constructor(
    private readonly sinks: readonly ReportSink[],
    private readonly options: ReportOptions = {},
  ) {}

  /** Record one file's outcome (with the file, for a file of the second pass). */
  add(entry: FileReport, file?: ReportedFile): void {
    this.total++;
    this.counts[entry.outcome]++;
    if (entry.noItemAlias === true) this.withoutItemAlias++;
    if (entry.refused !== undefined)
      this.refused[entry.refused] = (this.refused[entry.refused] ?? 0) + 1;
    if (!SUCCESS_OUTCOMES.has(entry.outcome)) this.problems.push(entry);
    for (const sink of this.sinks) sink.add(entry, file);
  }

  /** True when every problem is a skip (and the run not strict), something was done, and it was not interrupted. */
  private ok(interrupted: boolean): boolean {
    const strict = this.options.strict === true;
    return (
      !interrupted &&
      this.error === undefined &&
      !this.noDicomFiles &&
      this.problems.every((p) => !strict && SKIPPED_OUTCOMES.has(p.outcome))
    );
  }

  /** The summary so far, with what the run found of its recipe. */
  summary(interrupted: boolean, recipe?: RecipeFindings): ReportSummary {
    return {
      files: this.total,
      counts: { ...this.counts },
      ...(this.withoutItemAlias > 0 ? { withoutItemAlias: this.withoutItemAlias } : {}),
      ...(Object.keys(this.refused).length > 0 ? { refused: { ...this.refused } } : {}),
      ok: this.ok(interrupted),
      ...(interrupted ? { interrupted } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.noDicomFiles ? { noDicomFiles: true as const } : {}),
      ...(recipe?.recipeWarnings.length ? { recipeWarnings: [...recipe.recipeWarnings] } : {}),
      ...(recipe?.unmatchedSelectors.length
        ? { unmatchedSelectors: [...recipe.unmatchedSelectors] }
        : {}),
    };
  }

  /** The summary a library caller gets. */
  result(interrupted: boolean, recipe?: RecipeFindings): RunSummary {
    return {
      ...this.counts,
      files: this.total,
      withoutItemAlias: this.withoutItemAlias,
      refused: { ...this.refused },
      ok: this.ok(interrupted),
      stopped: interrupted,
      noDicomFiles: this.noDicomFiles,
      problems: [...this.problems],
      recipeWarnings: [...(recipe?.recipeWarnings ?? [])],
      unmatchedSelectors: [...(recipe?.unmatchedSelectors ?? [])],
    };
  }

  /** Close every sink with the summary. */
  async finish(interrupted: boolean, recipe?: RecipeFindings): Promise<ReportSummary> {
    const summary = this.summary(interrupted, recipe);
    for (const sink of this.sinks) await sink.finish(summary);
    return summary;
  }
}

/** How the summary line names each outcome. */
const OUTCOME_WORDS: Readonly<Record<FileOutcome, string>> = {
  written: 'written',
  unchanged: 'unchanged',
  failed: 'failed',
  quarantined: 'quarantined',
  'skipped-not-DICOM': 'not DICOM (skipped)',
  skipped: 'skipped',
  interrupted: 'interrupted',
  'would-write': 'would-write',
};

/**
 * One line of the summary: `N files: a written, b unchanged, c failed (d refused: ...), ...`
 * (only outcomes and refusals that occurred), then how many had no item alias.
 */
export function summaryLine(summary: ReportSummary): string {
  const refusals = Object.entries(summary.refused ?? {}).map(([kind, n]) => `${n} ${kind}`);
  const refused = refusals.length > 0 ? ` (refused: ${refusals.join(', ')})` : '';
  const parts = (Object.entries(summary.counts) as [FileOutcome, number][])
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${n} ${OUTCOME_WORDS[outcome]}${outcome === 'failed' ? refused : ''}`);
  if (summary.withoutItemAlias) parts.push(`${summary.withoutItemAlias} without an item alias`);
  return `${summary.files} ${summary.files === 1 ? 'file' : 'files'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** A readable line for one entry. */
export function entryLine(entry: FileReport): string {
  const where =
    entry.output ??
    (entry.entity !== undefined ? `${entry.entity}/${entry.image ?? '?'}` : undefined);
  const note = entry.noItemAlias === true ? ' (no item alias)' : '';
  return `${entry.outcome}  ${entry.path}${where !== undefined ? `  -> ${where}` : ''}${note}${entry.reason !== undefined ? `: ${entry.reason}` : ''}`;
}

/**
 * Writes a report as one JSON document `{<header fields>, "files": [...], "summary": {...}}`,
 * streaming the entries to `write`. Nothing is written before the first entry (or the end),
 * so that a run refused before it starts prints no half document.
 */
export class JsonReportSink implements ReportSink {
  private count = 0;
  private head: string | undefined;

  /**
   * @param write receives the text in pieces.
   * @param header fields written before `files` (e.g. the command and collection).
   */
  constructor(
    private readonly write: (text: string) => void,
    header: Record<string, unknown>,
  ) {
    const head = JSON.stringify(header, null, 2);
    this.head = `${head.slice(0, -2)}${head.length > 2 ? ',\n' : ''}  "files": [`;
  }

  /** Write the header, once. */
  private start(): void {
    if (this.head === undefined) return;
    this.write(this.head);
    this.head = undefined;
  }

  add(entry: FileReport): void {
    this.start();
    this.write(`${this.count++ === 0 ? '\n' : ',\n'}    ${JSON.stringify(entry)}`);
  }

  async finish(summary: ReportSummary): Promise<void> {
    this.end(summary);
  }

  /** Write the end of the document with `summary`, synchronously. */
  end(summary: ReportSummary): void {
    this.start();
    const body = JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ');
    this.write(`${this.count > 0 ? '\n  ' : ''}],\n  "summary": ${body}\n}\n`);
  }
}

/** Report text held before it is written out. */
const FLUSH_AT = 64 * 1024;

/**
 * A {@link JsonReportSink} into a file, written to a temporary name and renamed when
 * finished. It writes synchronously (in pieces of 64 KiB), so that a process about to exit
 * can still finish it ({@link finishNow}).
 */
export class JsonReportFile implements ReportSink {
  private readonly json: JsonReportSink;
  private readonly temp: string;
  private fd: number | undefined;
  private held = '';

  /**
   * @param path the report file.
   * @param header fields written before `files`.
   */
  constructor(
    private readonly path: string,
    header: Record<string, unknown>,
  ) {
    this.temp = temporaryPathFor(path);
    this.fd = openSync(this.temp, 'wx');
    this.json = new JsonReportSink((text) => this.write(text), header);
  }

  add(entry: FileReport): void {
    this.json.add(entry);
  }

  async finish(summary: ReportSummary): Promise<void> {
    this.finishNow(summary);
  }

  /**
   * Write `summary` and put the report in place, synchronously (nothing happens once it is
   * finished); on failure the temporary file is removed and the error thrown.
   */
  finishNow(summary: ReportSummary): void {
    if (this.fd === undefined) return;
    this.json.end(summary);
    try {
      this.flush();
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.temp, this.path);
    } catch (err) {
      this.abandon();
      throw err;
    }
  }

  /** Remove the unfinished report (nothing happens once it is finished). */
  abandon(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.temp);
    } catch {
      // already gone
    }
  }

  private write(text: string): void {
    this.held += text;
    if (this.held.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined || this.held === '') return;
    const bytes = Buffer.from(this.held, 'utf8');
    this.held = '';
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at);
  }
}
