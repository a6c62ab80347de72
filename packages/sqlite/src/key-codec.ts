/**
 * The canonical byte form of a record key path, stored in the `key` column.
 *
 * Each element is written as its UTF-8 bytes with 0x00 and 0x01 escaped (0x00 -> 01 01,
 * 0x01 -> 01 02), followed by a 0x00 terminator. Byte order of the encodings (SQLite
 * compares BLOBs with memcmp) is then the order of `compareKeys` in `@som/core`: element
 * by element in UTF-8 byte order, a shorter path before its extensions. Every descendant
 * of a path starts with the path's encoding, so "under this ancestor" is one key range.
 */
import { SomError, type KeyPath } from '@som/core';

const TERMINATOR = 0x00;
const ESCAPE = 0x01;

/** The canonical encoding of `key` (see the module comment). */
export function encodeKey(key: KeyPath): Buffer {
  const bytes: number[] = [];
  for (const part of key) {
    if (!part.isWellFormed()) {
      throw new SomError(
        'InvalidArgument',
        `invalid record key ${JSON.stringify(key)}: element is not valid Unicode`,
      );
    }
    for (const byte of Buffer.from(part, 'utf8')) {
      if (byte === TERMINATOR || byte === ESCAPE) bytes.push(ESCAPE, byte + 1);
      else bytes.push(byte);
    }
    bytes.push(TERMINATOR);
  }
  return Buffer.from(bytes);
}

/** The key path an encoding made by {@link encodeKey} stands for. */
export function decodeKey(encoded: Buffer): string[] {
  const parts: string[] = [];
  let current: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const byte = encoded[i] as number;
    if (byte === TERMINATOR) {
      parts.push(Buffer.from(current).toString('utf8'));
      current = [];
    } else if (byte === ESCAPE) {
      current.push((encoded[++i] as number) - 1);
    } else {
      current.push(byte);
    }
  }
  return parts;
}

/**
 * The key range holding exactly the proper descendants of `ancestor`:
 * `key > low AND key < high`.
 */
export function descendantRange(ancestor: KeyPath): { low: Buffer; high: Buffer } {
  const low = encodeKey(ancestor);
  const high = Buffer.from(low);
  high[high.length - 1] = TERMINATOR + 1; // every descendant continues `low` with a non-terminator byte >= 0x01
  return { low, high };
}

/** The encoding of the parent path of `key` (empty for a root record). */
export function encodeParent(key: KeyPath): Buffer {
  return encodeKey(key.slice(0, -2));
}
