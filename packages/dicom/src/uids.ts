/**
 * UID remapping: every UID becomes `2.25.<keyed digest>` (see `remapUid` of
 * `@som/identifiers`), the same in every file and run for the same key, except the
 * well-known UIDs of the standard (SOP classes, transfer syntaxes, coding schemes, ...).
 */
import { remapUid, type PseudonymKey } from '@som/identifiers';

/** The root of the UIDs the DICOM standard itself defines. */
export const STANDARD_UID_ROOT = '1.2.840.10008.';

/** True for a UID defined by the standard (kept as is). */
export function isStandardUid(uid: string): boolean {
  return uid.startsWith(STANDARD_UID_ROOT);
}

/** Remap every value of a (possibly multi-valued) UI text; empty values and standard UIDs stay. */
export function remapUidValues(key: PseudonymKey, text: string): string {
  return text
    .split('\\')
    .map((raw) => {
      const uid = raw.replace(/[\0 ]+$/, '').trim();
      return uid === '' || isStandardUid(uid) ? uid : remapUid(key, uid);
    })
    .join('\\');
}
