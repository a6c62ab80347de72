/**
 * A file's failure with the kind of refusal it is, whichever thread it happened in: the
 * refusals of @som/dicom (malformed, invalid element, would leak, over its limits) and those
 * of the pipeline (too large for memory, its thread stopped).
 */
import { SomError, type ErrorCode } from '@som/core';
import { refusalOf, type RefusalReason } from '@som/dicom';

/** The kinds of refusal a run counts. */
export type FileRefusal = RefusalReason | 'too-large' | 'thread-stopped';

/** A SomError failing one file, with the kind of refusal it is (when it is one). */
export class FileFailure extends SomError {
  /**
   * @param code the portable code.
   * @param message the reason (never a value from the file).
   * @param refusal the kind of refusal, when the file was refused.
   */
  constructor(
    code: ErrorCode,
    message: string,
    readonly refusal?: FileRefusal,
  ) {
    super(code, message);
  }
}

/** The kind of refusal `err` is, or undefined when it is none (a store failing, an alias missing). */
export function fileRefusalOf(err: unknown): FileRefusal | undefined {
  return err instanceof FileFailure ? err.refusal : refusalOf(err);
}
