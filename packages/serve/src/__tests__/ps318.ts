/**
 * Checks of DICOMweb responses against PS3.18, written independently of the server: the
 * DICOM JSON Model (Annex F) and multipart/related bodies (RFC 2387 as PS3.18 8.6.1.2 uses it).
 */

/** One part of a multipart body. */
export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(
    ' ',
  ),
);

/**
 * The parts of a multipart/related body; throws naming what breaks the format: a missing
 * boundary or type parameter, a part without Content-Type, a missing closing delimiter.
 */
export function parseMultipart(contentType: string, body: Buffer): { type: string; parts: Part[] } {
  if (!/^multipart\/related\s*;/i.test(contentType))
    throw new Error(`not multipart/related: ${contentType}`);
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  const type = /type="?([^";]+)"?/i.exec(contentType)?.[1];
  if (boundary === undefined) throw new Error('no boundary parameter');
  if (type === undefined) throw new Error('no type parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  if (pos !== 0) throw new Error('the body does not start with the boundary');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') {
      if (
        body
          .subarray(pos + 2)
          .toString()
          .trim() !== ''
      )
        throw new Error('bytes after the close');
      return { type, parts };
    }
    if (body.subarray(pos, pos + 2).toString() !== '\r\n')
      throw new Error('no CRLF after boundary');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error('a part without the end of its headers');
    const headers: Record<string, string> = {};
    for (const line of body
      .subarray(pos + 2, headerEnd)
      .toString('latin1')
      .split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (headers['content-type'] === undefined) throw new Error('a part without Content-Type');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('no closing delimiter');
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
}

/** Throws naming the first attribute of `json` that breaks the DICOM JSON Model. */
export function checkDicomJson(json: unknown, where = '$'): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${where}: a data set is a JSON object`);
  for (const [tag, attribute] of Object.entries(json as Record<string, unknown>)) {
    const at = `${where}.${tag}`;
    if (!/^[0-9A-F]{8}$/.test(tag)) throw new Error(`${at}: keys are 8 upper-case hex digits`);
    const a = attribute as Record<string, unknown>;
    if (typeof a.vr !== 'string' || !VRS.has(a.vr))
      throw new Error(`${at}: bad vr ${String(a.vr)}`);
    const kinds = ['Value', 'InlineBinary', 'BulkDataURI'].filter((k) => a[k] !== undefined);
    if (kinds.length > 1)
      throw new Error(`${at}: more than one of Value, InlineBinary, BulkDataURI`);
    for (const key of Object.keys(a))
      if (!['vr', 'Value', 'InlineBinary', 'BulkDataURI'].includes(key))
        throw new Error(`${at}: unknown member ${key}`);
    if (a.Value !== undefined) {
      if (!Array.isArray(a.Value) || a.Value.length === 0)
        throw new Error(`${at}: Value is a non-empty array`);
      a.Value.forEach((v, i) => checkValue(a.vr as string, v, `${at}[${i}]`));
    }
    if (a.InlineBinary !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(String(a.InlineBinary)))
      throw new Error(`${at}: InlineBinary is base64`);
    if (a.BulkDataURI !== undefined && typeof a.BulkDataURI !== 'string')
      throw new Error(`${at}: BulkDataURI is a string`);
  }
}

function checkValue(vr: string, value: unknown, at: string): void {
  if (value === null) return;
  if (vr === 'SQ') return checkDicomJson(value, at);
  if (vr === 'PN') {
    if (
      typeof value !== 'object' ||
      Object.keys(value as object).some(
        (k) => !['Alphabetic', 'Ideographic', 'Phonetic'].includes(k),
      )
    )
      throw new Error(`${at}: a PN value is {Alphabetic, Ideographic, Phonetic}`);
    return;
  }
  if (['FL', 'FD', 'SL', 'SS', 'UL', 'US', 'DS', 'IS'].includes(vr)) {
    if (typeof value !== 'number') throw new Error(`${at}: a ${vr} value is a number`);
    return;
  }
  if (['SV', 'UV'].includes(vr)) {
    if (typeof value !== 'number' && typeof value !== 'string') throw new Error(`${at}: ${vr}`);
    return;
  }
  if (typeof value !== 'string') throw new Error(`${at}: a ${vr} value is a string`);
  if (vr === 'AT' && !/^[0-9A-F]{8}$/.test(value)) throw new Error(`${at}: AT is 8 hex digits`);
  if (vr === 'UI' && !/^[0-9.]{1,64}$/.test(value)) throw new Error(`${at}: not a UID`);
  if (vr === 'DA' && !/^\d{8}$/.test(value)) throw new Error(`${at}: not a date`);
}
