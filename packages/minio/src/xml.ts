/**
 * Strict parsing of S3 XML responses: every value stays a string (the minio client's own
 * parser turns keys such as `007` or `0x10`, and all-digit ETags, into numbers).
 */
import { XMLParser } from 'fast-xml-parser';
import { S3ResponseError } from './errors';

/** Elements that may repeat, always read as arrays. */
const REPEATED = new Set(['Contents', 'CommonPrefixes', 'Part']);

const parser = new XMLParser({
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  isArray: (name) => REPEATED.has(name),
});

/** A parsed XML element: text, or child elements by name. */
export type XmlNode = string | { [name: string]: XmlNode | XmlNode[] | undefined };

/** The document element `root` of `xml`; throws S3ResponseError when absent. */
export function parseXml(
  xml: string,
  root: string,
): Record<string, XmlNode | XmlNode[] | undefined> {
  const document = parser.parse(xml) as Record<string, XmlNode | undefined>;
  const element = document[root];
  if (element === undefined)
    throw (
      errorInXml(xml) ??
      new S3ResponseError(
        'InvalidResponse',
        `expected a ${root} document, received ${JSON.stringify(xml.slice(0, 200))}`,
      )
    );
  return typeof element === 'string' ? {} : element;
}

/** The text of `node` (empty when it is absent or not text). */
export function text(node: XmlNode | XmlNode[] | undefined): string {
  return typeof node === 'string' ? node : '';
}

/** The `<Error>` document in `xml` as an error, if that is what it is. */
export function errorInXml(xml: string): S3ResponseError | undefined {
  if (!xml.includes('<Error>')) return undefined;
  const document = parser.parse(xml) as Record<string, XmlNode | undefined>;
  const error = document.Error;
  if (error === undefined || typeof error === 'string') return undefined;
  return new S3ResponseError(text(error.Code) || 'UnknownError', text(error.Message));
}
