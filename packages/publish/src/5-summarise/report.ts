/**
 * The per-file report of `som upload` and `som deid`: every input file with its outcome.
 * Entries are streamed to their destination (stdout, a report file) as files finish, so a
 * run over any number of files holds only the counts and the failures.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { isQuarantine, type PixelCleaning, type QuarantineReason } from '@som/dicom';
import { reasonFor } from '../1-scan/scan';
import { temporaryPathFor } from '../3-deidentify/atomic-file';
import type { DeidNotes } from '../3-deidentify/deid-file';

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
  'interrupted',
  'would-write',
];

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
  /** Why a `quarantined` file was kept out: the kind, and the filter section and label that flagged it. */
  quarantine?: { reason: QuarantineReason; section?: string; label?: string };
  /** What was blanked in the pixel data of a file written (absent: its pixel data is the input's, byte for byte). */
  pixels?: PixelCleaning;
}

/** The report entry fields of a file that could not be de-identified or stored: `quarantined` or `failed`. */
export function failureEntry(
  path: string,
  err: unknown,
): Pick<FileReport, 'outcome' | 'reason' | 'quarantine'> {
  if (!isQuarantine(err)) return { outcome: 'failed', reason: reasonFor(path, err) };
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

/** A count of zero for every outcome. */
export function zeroCounts(): OutcomeCounts {
  return Object.fromEntries(FILE_OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;
}

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
  /** The recipe's lines that do nothing, when there are any. */
  recipeWarnings?: string[];
  /** The recipe's rules that selected nothing in any file, when there are any. */
  unmatchedSelectors?: string[];
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
  /** The recipe's lines that do nothing (see {@link RecipeFindings}). */
  recipeWarnings: string[];
  /** The recipe's rules that selected nothing in any file. */
  unmatchedSelectors: string[];
}

/** Collects counts and failures and passes every entry on to its sinks. */
export class Report {
  readonly counts: OutcomeCounts = zeroCounts();
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

  /** The summary so far, with what the run found of its recipe. */
  summary(interrupted: boolean, recipe?: RecipeFindings): ReportSummary {
    return {
      files: this.total,
      counts: { ...this.counts },
      ok: this.problems.length === 0 && !interrupted,
      ...(interrupted ? { interrupted } : {}),
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
      ok: this.problems.length === 0 && !interrupted,
      stopped: interrupted,
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
