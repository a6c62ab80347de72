/**
 * Page tokens of GCS listings as som hands them out.
 */
import { SomError } from '@som/core';

/**
 * A listing position: GCS's page token, and the greatest entry listed so far. Common
 * prefixes up to that entry are not listed again: a server may repeat them on later pages
 * (the firebase emulator repeats every one on every page).
 */
export interface PageToken {
  /** The page token GCS gave. */
  gcs: string;
  /** The greatest entry listed so far. */
  after?: string;
}

/** The opaque text of a listing position. */
export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

/** The listing position of a page token; InvalidArgument when it is not one. */
export function decodePageToken(text: string): PageToken {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<PageToken>;
    if (
      typeof token.gcs === 'string' &&
      (token.after === undefined || typeof token.after === 'string')
    )
      return token as PageToken;
  } catch {
    // reported below
  }
  throw new SomError('InvalidArgument', 'invalid listing page token');
}
