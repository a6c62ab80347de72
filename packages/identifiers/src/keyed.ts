/**
 * Keyed one-way functions behind every local alias: HMAC-SHA256 under the project's
 * pseudonymisation key, separated by purpose so an alias never equals a remapped UID.
 */
import { createHmac } from 'node:crypto';
import { SecretKey } from './secret';

/**
 * A pseudonymisation key: raw bytes, a string (used as UTF-8), or a {@link SecretKey}
 * (which gives exactly the same digests as the string or bytes it was made from).
 */
export type PseudonymKey = Buffer | string | SecretKey;

/** HMAC-SHA256 of `value` under `key`, domain-separated by `purpose`. */
export function keyedDigest(key: PseudonymKey, purpose: string, value: string): Buffer {
  const hmac = key instanceof SecretKey ? key.createHmac() : createHmac('sha256', key);
  return hmac.update(purpose).update('\0').update(value).digest();
}

/**
 * The remapped form of a DICOM UID: `2.25.<decimal of the first 128 bits of a keyed HMAC>`
 * (PS3.5 B.2 UUID-derived UID). The same key and UID give the same result in every file and run.
 */
export function remapUid(key: PseudonymKey, uid: string): string {
  const digest = keyedDigest(key, 'uid', uid.trim());
  return `2.25.${BigInt(`0x${digest.subarray(0, 16).toString('hex')}`).toString(10)}`;
}
