/**
 * One page of a listing from a ListObjectsV2 response: objects and common prefixes in key
 * order, and the continuation token as the opaque page token.
 */
import type { ListPage, ObjectSummary } from '@som/core';
import { S3ResponseError } from './errors';
import { parseXml, text, type XmlNode } from './xml';

/**
 * The md5 in `value` (an ETag, quoted or not, or a stored md5) when it is one, lowercase;
 * else undefined (e.g. a multipart ETag, which ends in `-<parts>`).
 */
export function md5Of(value: string | undefined): string | undefined {
  const bare = value?.replace(/^"|"$/g, '').toLowerCase();
  return bare !== undefined && /^[0-9a-f]{32}$/.test(bare) ? bare : undefined;
}

function children(node: XmlNode | XmlNode[] | undefined): XmlNode[] {
  if (node === undefined) return [];
  return Array.isArray(node) ? node : [node];
}

function field(node: XmlNode, name: string): string {
  return typeof node === 'string' ? '' : text(node[name]);
}

/**
 * The page a ListObjectsV2 response (`encoding-type=url`) describes. A truncated answer
 * without a continuation token is an error, never a silently short listing.
 */
export function parseListObjectsV2(xml: string): ListPage {
  const result = parseXml(xml, 'ListBucketResult');
  const urlEncoded = text(result.EncodingType) === 'url';
  const decode = (value: string): string =>
    urlEncoded ? decodeURIComponent(value.replace(/\+/g, ' ')) : value;
  const objects: ObjectSummary[] = children(result.Contents).map((content) => {
    const md5 = md5Of(field(content, 'ETag'));
    const modified = field(content, 'LastModified');
    return {
      key: decode(field(content, 'Key')),
      size: Number(field(content, 'Size')),
      ...(md5 === undefined ? {} : { md5 }),
      ...(modified ? { updated: new Date(modified) } : {}),
    };
  });
  const prefixes = children(result.CommonPrefixes).map((prefix) => decode(field(prefix, 'Prefix')));
  const page: ListPage = { objects, prefixes };
  if (text(result.IsTruncated) === 'true') {
    const token = text(result.NextContinuationToken);
    if (token === '')
      throw new S3ResponseError(
        'InvalidResponse',
        'the server said the listing continues but gave no continuation token',
      );
    page.nextPageToken = token;
  }
  return page;
}
