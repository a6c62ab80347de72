/**
 * The first pass over the inputs: walk them, recognise DICOM by content, read only the
 * headers and keep each file's small identity (never its bytes), building the DASHER
 * request. Everything that cannot be used is reported with its reason.
 */
import type { DasherRequest } from '@som/identifiers';
import { errorMessage, mapBounded } from '@som/core';
import { readHeaderIfDicom } from '@som/dicom';
import type { Report } from '../5-summarise/report';
import { IdentifierCollector, type FileIdentity } from './identity';
import { walkInputs, type InputFile, type WalkOptions } from './walk';

/** A DICOM file found by the first pass, with what its aliases are looked up by. */
export interface ScannedFile extends InputFile, FileIdentity {
  /** Its position among the inputs (the walk order). */
  index: number;
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
}

/** `message` without a leading `<path>: ` (the report already names the file). */
export function reasonFor(path: string, err: unknown): string {
  const message = errorMessage(err);
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

/** What reading one file's header gave: a usable DICOM file, not DICOM, or why it cannot be used. */
export type Examined =
  { file: ScannedFile } | { skip: true; path: string } | { fail: string; path: string };

/** Read the header of `file` (the `index`-th of the walk) and add its identifiers to `collector`. */
export async function examine(
  file: InputFile,
  index: number,
  collector: IdentifierCollector,
): Promise<Examined> {
  try {
    const header = await readHeaderIfDicom(file.absolute, file.size, file.path);
    if (header === undefined) return { skip: true, path: file.path };
    const identity: FileIdentity = collector.add(file.path, header);
    return { file: { ...file, ...identity, index } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'cannot be read: permission denied'
        : reasonFor(file.path, err);
    return { fail: reason, path: file.path };
  }
}

/** Mark every file whose patient and SOPInstanceUID an earlier file (in walk order) has. */
function markDuplicates(files: ScannedFile[]): void {
  const first = new Map<string, string>();
  for (const file of files) {
    if (file.instanceId === '') continue;
    const key = `${file.entityId.length}:${file.entityId}\0${file.instanceId}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, file.path);
    else file.duplicateOf = earlier;
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
  const collector = new IdentifierCollector();
  let index = 0;
  async function* candidates(): AsyncGenerator<[InputFile, number]> {
    for await (const entry of walkInputs(inputs, options)) {
      if (entry.kind === 'problem')
        report.add({ path: entry.path, outcome: 'failed', reason: entry.reason });
      else yield [entry, index++];
    }
  }
  for await (const result of mapBounded(
    candidates(),
    options.concurrency,
    ([file, i]) => examine(file, i, collector),
    options.signal,
  )) {
    if ('file' in result) {
      files.push(result.file);
    } else if ('skip' in result) report.add({ path: result.path, outcome: 'skipped-not-DICOM' });
    else report.add({ path: result.path, outcome: 'failed', reason: result.fail });
  }
  files.sort((a, b) => a.index - b.index);
  markDuplicates(files);
  return { files, request: collector.request() };
}
