/**
 * User metadata as `x-amz-meta-*` headers, losslessly. Servers lowercase header names and
 * some (Swift, and anything behind nginx) drop or rewrite `_`, and header values must be
 * printable ASCII; so names other than `[a-z0-9-]` are hex-encoded under `som-x-`, and
 * values other than plain printable ASCII are RFC 2047 encoded words (`=?UTF-8?B?...?=`).
 * The `som-` prefix is reserved: `som-md5` holds the md5 of the content.
 */
import type { ObjectMetadata } from '@som/core';

/** Prefix of user metadata headers. */
export const META_PREFIX = 'x-amz-meta-';

/** Header holding the md5 (lowercase hex) of the content, written by som with every object. */
export const MD5_HEADER = `${META_PREFIX}som-md5`;

const ENCODED_NAME = 'som-x-';
const PLAIN_NAME = /^[a-z0-9-]+$/;
const PLAIN_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const ENCODED_VALUE = /^=\?UTF-8\?B\?([A-Za-z0-9+/]*={0,2})\?=$/;

function encodeName(name: string): string {
  return PLAIN_NAME.test(name) && !name.startsWith('som-')
    ? name
    : `${ENCODED_NAME}${Buffer.from(name, 'utf8').toString('hex')}`;
}

function decodeName(wire: string): string | undefined {
  if (!wire.startsWith('som-')) return wire;
  const hex = wire.slice(ENCODED_NAME.length);
  return wire.startsWith(ENCODED_NAME) && /^(?:[0-9a-f]{2})+$/.test(hex)
    ? Buffer.from(hex, 'hex').toString('utf8')
    : undefined;
}

function encodeValue(value: string): string {
  return PLAIN_VALUE.test(value) && !value.startsWith('=?')
    ? value
    : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function decodeValue(wire: string): string {
  const encoded = ENCODED_VALUE.exec(wire);
  return encoded?.[1] === undefined ? wire : Buffer.from(encoded[1], 'base64').toString('utf8');
}

/** The `x-amz-meta-*` headers carrying `metadata`. */
export function metadataHeaders(metadata: ObjectMetadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata))
    headers[`${META_PREFIX}${encodeName(name)}`] = encodeValue(value);
  return headers;
}

/**
 * The user metadata in response headers (names lowercase, as Node gives them): every
 * `x-amz-meta-*` header but som's own (`som-md5` and any other `som-` name).
 */
export function metadataOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): ObjectMetadata {
  const metadata: ObjectMetadata = {};
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith(META_PREFIX) || typeof value !== 'string') continue;
    const name = decodeName(header.slice(META_PREFIX.length));
    if (name !== undefined) metadata[name] = decodeValue(value);
  }
  return metadata;
}
