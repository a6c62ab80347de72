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

/** Remapped UIDs by key: the same UIDs recur in every file of a study (a bounded memo). */
const memo = new Map<PseudonymKey, Map<string, string>>();
const MEMO_LIMIT = 20_000;

function remapped(key: PseudonymKey, uid: string): string {
  let byUid = memo.get(key);
  if (!byUid) {
    if (memo.size >= 4) memo.clear();
    byUid = new Map();
    memo.set(key, byUid);
  }
  let out = byUid.get(uid);
  if (out === undefined) {
    out = remapUid(key, uid);
    if (byUid.size >= MEMO_LIMIT) byUid.clear();
    byUid.set(uid, out);
  }
  return out;
}

/** Remap every value of a (possibly multi-valued) UI text; empty values and standard UIDs stay. */
export function remapUidValues(key: PseudonymKey, text: string): string {
  return text
    .split('\\')
    .map((raw) => {
      const uid = raw.replace(/[\0 ]+$/, '').trim();
      return uid === '' || isStandardUid(uid) ? uid : remapped(key, uid);
    })
    .join('\\');
}
