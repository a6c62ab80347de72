/**
 * The first pass over the inputs: walk them, recognise DICOM by content, read only the
 * headers and keep each file's small identity (never its bytes), building the DASHER
 * request. Everything that cannot be used is reported with its reason.
 */
import type { DasherRequest, DasherRequestBuilderOptions, FileKeys } from '@som/identifiers';
import { errorMessage, mapBounded } from '@som/core';
import { readHeaderIfDicom, type DicomHeader } from '@som/dicom';
import type { Report } from '../5-summarise/report';
import { IdentifierCollector } from './identity';
import { walkInputs, type InputFile, type WalkOptions } from './walk';

/** The Media Storage Directory Storage SOP Class: a DICOMDIR, the index of a DICOM medium. */
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

/** A DICOM file found by the first pass, with what its aliases are looked up by. */
export interface ScannedFile extends InputFile, FileKeys {
  /** Its position among the inputs (the walk order). */
  index: number;
  /** The bytes of its header (see `DicomHeader.byteLength`): what its parse costs grows with them. */
  headerBytes: number;
  /** The first file (in walk order) of the same patient with the same SOPInstanceUID, if this is not it. */
  duplicateOf?: string;
}

/** What the first pass found. */
export interface Scan {
  /** Every usable DICOM file, in walk order. */
  files: ScannedFile[];
  /** The identifiers of all of them, as a DASHER request. */
  request: DasherRequest;
}

/** Options of {@link scanInputs}. */
export interface ScanOptions extends WalkOptions {
  /** Files read at once. */
  concurrency: number;
  /** Stop starting files when aborted. */
  signal?: AbortSignal;
  /** What the DASHER request's items are and the `id_source` strings it sends. */
  request?: DasherRequestBuilderOptions;
}

/** `message` without a leading `<path>: ` (the report already names the file). */
export function reasonFor(path: string, err: unknown): string {
  const message = errorMessage(err);
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

/**
 * What reading one file's header gave: a usable DICOM file, not DICOM, left alone on
 * purpose (a DICOMDIR, with the reason), or why it cannot be used.
 */
export type Examined =
  | { file: ScannedFile }
  | { notDicom: true; path: string }
  | { skip: string; path: string }
  | { fail: string; path: string };

/** True for a DICOMDIR: an index of the files of a medium, not an image. */
function isMediaDirectory(header: DicomHeader): boolean {
  const sopClass = header.string('MediaStorageSOPClassUID') ?? header.string('SOPClassUID');
  return sopClass?.replace(/\0+$/, '').trim() === MEDIA_STORAGE_DIRECTORY;
}

/**
 * Strings that many files share (PatientID, AccessionNumber, StudyInstanceUID, the folder
 * of an input), kept once: a run over a million files holds one copy of each, not one per
 * file.
 */
export class SharedStrings {
  readonly #strings = new Map<string, string>();

  /** The copy of `text` kept (the first one seen). */
  get(text: string): string;
  get(text: string | undefined): string | undefined;
  get(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const kept = this.#strings.get(text);
    if (kept !== undefined) return kept;
    this.#strings.set(text, text);
    return text;
  }
}

/** `path` cut after its last `/`: the folder part (with the `/`; empty when none) and the name. */
function splitFolder(path: string): [string, string] {
  const at = path.lastIndexOf('/') + 1;
  return [path.slice(0, at), path.slice(at)];
}

/**
 * A file of the first pass as it is kept until the run ends, in little memory: every field
 * in the object (one shape for all files), the strings that files share kept once (the
 * folders too), and the paths made when asked from the file's name and its folders.
 */
class KeptFile implements ScannedFile {
  readonly size: number;
  readonly index: number;
  readonly headerBytes: number;
  readonly entityId: string;
  readonly accessionNumber: string | undefined;
  readonly studyInstanceUid: string | undefined;
  readonly sopInstanceUid: string | undefined;
  duplicateOf: string | undefined = undefined;
  /** The file name: what ends both its path and its absolute path. */
  readonly #name: string;
  /** The path without the name (one string for the files of a folder). */
  readonly #folder: string;
  /** The absolute path without the name, or the whole absolute path when it does not end with the name. */
  readonly #absoluteFolder: string | { readonly whole: string };
  /** Where the relative path starts in the path, or the relative path when the path does not end with it. */
  readonly #relative: number | string;

  constructor(
    file: InputFile,
    keys: FileKeys,
    index: number,
    headerBytes: number,
    shared: SharedStrings,
  ) {
    const { path, relative, absolute } = file;
    const [folder, name] = splitFolder(path);
    this.#name = name;
    this.#folder = shared.get(folder);
    this.#absoluteFolder = absolute.endsWith(`/${name}`)
      ? shared.get(absolute.slice(0, absolute.length - name.length))
      : { whole: absolute };
    this.#relative = path.endsWith(relative) ? path.length - relative.length : relative;
    this.size = file.size;
    this.index = index;
    this.headerBytes = headerBytes;
    this.entityId = shared.get(keys.entityId);
    this.accessionNumber = shared.get(keys.accessionNumber);
    this.studyInstanceUid = shared.get(keys.studyInstanceUid);
    this.sopInstanceUid = keys.sopInstanceUid;
  }

  get path(): string {
    return this.#folder + this.#name;
  }

  get relative(): string {
    const relative = this.#relative;
    return typeof relative === 'number' ? this.path.slice(relative) : relative;
  }

  get absolute(): string {
    const folder = this.#absoluteFolder;
    return typeof folder === 'string' ? folder + this.#name : folder.whole;
  }
}

/**
 * Read the header of `file` (the `index`-th of the walk) and add its identifiers to
 * `collector`; the strings the files of a run share are kept once in `shared`.
 */
export async function examine(
  file: InputFile,
  index: number,
  collector: IdentifierCollector,
  shared: SharedStrings = new SharedStrings(),
): Promise<Examined> {
  try {
    const header = await readHeaderIfDicom(file.absolute, file.size, file.path);
    if (header === undefined) return { notDicom: true, path: file.path };
    if (isMediaDirectory(header))
      return { skip: 'a DICOMDIR (the index of a DICOM medium), not an image', path: file.path };
    const keys = collector.add(header);
    return { file: new KeptFile(file, keys, index, header.byteLength, shared) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'cannot be read: permission denied'
        : reasonFor(file.path, err);
    return { fail: reason, path: file.path };
  }
}

/**
 * Mark every file whose patient and SOPInstanceUID an earlier file (in walk order) has. The
 * index is per patient and holds the files themselves: no key string is made per file.
 */
function markDuplicates(files: ScannedFile[]): void {
  const firstByPatient = new Map<string, Map<string, ScannedFile>>();
  for (const file of files) {
    const instance = file.sopInstanceUid?.trim() ?? '';
    if (instance === '') continue;
    let first = firstByPatient.get(file.entityId);
    if (first === undefined) firstByPatient.set(file.entityId, (first = new Map()));
    const earlier = first.get(instance);
    if (earlier === undefined) first.set(instance, file);
    else file.duplicateOf = earlier.path;
  }
}

/**
 * Walk `inputs` and read the headers of the DICOM files among them. Problems, non-DICOM
 * files and unusable DICOM files go to `report`; the usable files are returned.
 */
export async function scanInputs(
  inputs: readonly string[],
  options: ScanOptions,
  report: Report,
): Promise<Scan> {
  const files: ScannedFile[] = [];
  const collector = new IdentifierCollector(options.request);
  const shared = new SharedStrings();
  let index = 0;
  async function* candidates(): AsyncGenerator<[InputFile, number]> {
    for await (const entry of walkInputs(inputs, options)) {
      if (entry.kind === 'problem')
        report.add({ path: entry.path, outcome: 'failed', reason: entry.reason });
      else if (entry.kind === 'skipped')
        report.add({ path: entry.path, outcome: 'skipped', reason: entry.reason });
      else yield [entry, index++];
    }
  }
  for await (const result of mapBounded(
    candidates(),
    options.concurrency,
    ([file, i]) => examine(file, i, collector, shared),
    options.signal,
  )) {
    if ('file' in result) files.push(result.file);
    else if ('notDicom' in result) report.add({ path: result.path, outcome: 'skipped-not-DICOM' });
    else if ('skip' in result)
      report.add({ path: result.path, outcome: 'skipped', reason: result.skip });
    else report.add({ path: result.path, outcome: 'failed', reason: result.fail });
  }
  files.sort((a, b) => a.index - b.index);
  markDuplicates(files);
  return { files, request: collector.request() };
}
