/**
 * Transfer syntaxes: how a data set is encoded (VR explicit or implicit, byte order,
 * deflate), from its UID.
 */

/** How the elements of a data set are encoded. */
export interface Encoding {
  /** Little endian (every transfer syntax but the retired Explicit VR Big Endian). */
  readonly littleEndian: boolean;
  /** Explicit VR (every transfer syntax but Implicit VR Little Endian). */
  readonly explicitVr: boolean;
}

/** A transfer syntax: its UID and what it means for reading and writing. */
export interface TransferSyntax extends Encoding {
  /** The transfer syntax UID. */
  readonly uid: string;
  /** The data set (everything after the file meta group) is deflated (RFC 1951). */
  readonly deflated: boolean;
}

/** Implicit VR Little Endian, the default transfer syntax. */
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Deflated Explicit VR Little Endian. */
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
/** Explicit VR Big Endian (retired, still found in archives). */
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** The little-endian explicit-VR encoding of the file meta group. */
export const META_ENCODING: Encoding = { littleEndian: true, explicitVr: true };

/**
 * The transfer syntax of `uid`. Every UID other than the implicit, big endian and deflated
 * ones is Explicit VR Little Endian (all compressed transfer syntaxes are; their pixel data
 * is encapsulated, which the reader recognises by its undefined length).
 */
export function transferSyntaxOf(uid: string): TransferSyntax {
  switch (uid) {
    case IMPLICIT_VR_LITTLE_ENDIAN:
      return { uid, littleEndian: true, explicitVr: false, deflated: false };
    case EXPLICIT_VR_BIG_ENDIAN:
      return { uid, littleEndian: false, explicitVr: true, deflated: false };
    case DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
      return { uid, littleEndian: true, explicitVr: true, deflated: true };
    default:
      return { uid, littleEndian: true, explicitVr: true, deflated: false };
  }
}
