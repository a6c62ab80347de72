/**
 * The typed outcome of a file whose pixels may show identity and cannot be cleaned: it is
 * never written or uploaded; the run reports it with the filter and label that flagged it.
 */
import { SomError } from '@som/core';

/** Why a file was quarantined. */
export type QuarantineReason =
  /** A blacklist section of the pixel filter flagged it. */
  | 'blacklisted'
  /** A graylist section flagged it without naming a region to blank. */
  | 'needs-review'
  /** Regions were to be blanked, but its pixel data cannot be (its encoding, or its layout). */
  | 'cannot-clean'
  /** OCR found text in its pixels (`detect`). */
  | 'burned-in-text';

/** What the run reports of a quarantined file (never a value from the file). */
export interface PixelQuarantine {
  /** Why. */
  readonly reason: QuarantineReason;
  /** The filter section that flagged it, if a filter did. */
  readonly section?: string;
  /** The label that flagged it, if a filter did. */
  readonly label?: string;
  /** One sentence for people. */
  readonly detail: string;
}

/** Thrown by `deidentify` for a quarantined file: a SomError FailedPrecondition with {@link PixelQuarantine}. */
export class QuarantineError extends SomError {
  /**
   * @param source the file name.
   * @param quarantine why.
   */
  constructor(
    source: string,
    readonly quarantine: PixelQuarantine,
  ) {
    super('FailedPrecondition', `${source}: quarantined, not written: ${quarantine.detail}`);
    this.name = 'QuarantineError';
  }
}

/** True when `err` is a {@link QuarantineError}. */
export function isQuarantine(err: unknown): err is QuarantineError {
  return err instanceof QuarantineError;
}
