/**
 * Why a file was refused, by kind: every refusal of the reader and the fail-closed checks is
 * a {@link DicomRefusal}, so that a run can count its refusals per reason without reading
 * messages.
 */
import { SomError } from '@som/core';

/** The kinds of refusal. */
export const REFUSAL_REASONS = [
  /** The bytes are not a well-formed DICOM file (truncated, lengths past the end, ...). */
  'malformed',
  /** An element the output would hold is not valid (see `DicomValidationError`). */
  'invalid-element',
  /** The output would hold an identifying value of the input (see `PhiLeakError`). */
  'would-leak',
  /** The file is past one of the documented limits (elements and items, nesting depth). */
  'over-limits',
] as const;

/** One of {@link REFUSAL_REASONS}. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** A SomError InvalidArgument refusing a file, with the kind of refusal. */
export class DicomRefusal extends SomError {
  /**
   * @param refusal the kind.
   * @param message one sentence naming the file, the element and the offset (never a value).
   */
  constructor(
    readonly refusal: RefusalReason,
    message: string,
  ) {
    super('InvalidArgument', message);
  }
}

/** The kind of refusal `err` is, or undefined when it is not a {@link DicomRefusal}. */
export function refusalOf(err: unknown): RefusalReason | undefined {
  return err instanceof DicomRefusal ? err.refusal : undefined;
}
