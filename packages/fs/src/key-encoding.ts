/**
 * Object keys as paths under the root, readable for normal keys and sound for all others.
 *
 * A key is split at `/` into segments. Every segment but the last is a directory named by
 * the segment; the last is the data file, named by the segment plus `.obj` (so `a` and
 * `a/b` can both be objects: `a.obj` beside the directory `a`). Names are escaped so that
 * the three kinds of names never collide and never look internal: `%` is written `%25`; a
 * leading `.` and the `.` of a trailing `.obj` or `.cont` are written `%2E`. Names that
 * start with `.` are therefore always som's own (sidecars, temporary files, `.som/`).
 * A segment longer than {@link MAX_PIECE_BYTES} encoded bytes is cut into pieces: every
 * piece but the last is a directory named by the piece plus `.cont`.
 *
 * Rejected (InvalidArgument): empty segments (`a//b`, a leading or trailing `/`), `.` and
 * `..` segments, backslashes (Windows separators), control characters and invalid Unicode.
 */
import { SomError } from '@som/core';

/** Suffix of a data file's name. */
export const FILE_SUFFIX = '.obj';

/** Suffix of a directory holding the continuation of a long segment. */
export const CONTINUATION_SUFFIX = '.cont';

/** Longest encoded piece of a segment, in bytes (a name stays under 255 with its sidecar suffixes). */
export const MAX_PIECE_BYTES = 200;

/** What a name in a directory stands for. */
export type NameRole = 'file' | 'dir' | 'continuation';

/** InvalidArgument naming the key and the reason. */
function invalidKey(key: string, reason: string): SomError {
  return new SomError(
    'InvalidArgument',
    `invalid object key ${JSON.stringify(key)} for the fs store: ${reason}`,
  );
}

/** True when `text` holds a C0 control character (NUL, CR, LF, ...) or DEL. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || unit === 0x7f) return true;
  }
  return false;
}

/** The segments of `key` (see the module comment for what is rejected). */
export function keySegments(key: string): string[] {
  if (hasControlCharacter(key) || !key.isWellFormed()) {
    throw invalidKey(key, 'control character or invalid Unicode');
  }
  if (key.includes('\\')) throw invalidKey(key, 'backslash (a Windows path separator)');
  if (key.startsWith('/')) throw invalidKey(key, 'absolute path');
  const segments = key.split('/');
  if (segments.some((segment) => segment === ''))
    throw invalidKey(key, 'empty path segment (// or a trailing /)');
  if (segments.some((segment) => segment === '.' || segment === '..'))
    throw invalidKey(key, '"." or ".." path segment');
  return segments;
}

/** The escaped form of one piece of a segment. */
function encodePiece(piece: string): string {
  let name = piece.replaceAll('%', '%25');
  if (name.startsWith('.')) name = `%2E${name.slice(1)}`;
  for (const suffix of [FILE_SUFFIX, CONTINUATION_SUFFIX]) {
    if (name.endsWith(suffix)) name = `${name.slice(0, -suffix.length)}%2E${suffix.slice(1)}`;
  }
  return name;
}

/** The piece an escaped name stands for, or undefined when `name` is not in canonical escaped form. */
function decodePiece(name: string): string | undefined {
  if (name === '' || /%(?!25|2E)/.test(name)) return undefined;
  const piece = name.replace(/%(25|2E)/g, (_, hex: string) => (hex === '25' ? '%' : '.'));
  return encodePiece(piece) === name ? piece : undefined;
}

/** Cut a segment into pieces whose encoded forms fit {@link MAX_PIECE_BYTES}. */
function pieces(segment: string): string[] {
  const budget = MAX_PIECE_BYTES - 4; // room for a leading and a trailing %2E escape
  if (segment.length * 3 <= budget) return [segment]; // short: at most 3 UTF-8 bytes per UTF-16 unit, 3 per %
  const result: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of segment) {
    const size = char === '%' ? 3 : Buffer.byteLength(char, 'utf8');
    if (bytes + size > budget) {
      result.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  result.push(current);
  return result;
}

/** The names (outermost first) that `segment` takes on disk as a directory or as a data file. */
export function segmentNames(segment: string, role: 'file' | 'dir'): string[] {
  const parts = pieces(segment).map(encodePiece);
  const last = parts.length - 1;
  return parts.map((name, i) =>
    i < last ? `${name}${CONTINUATION_SUFFIX}` : role === 'file' ? `${name}${FILE_SUFFIX}` : name,
  );
}

/**
 * What the name of a directory entry stands for: its role and the piece of segment it
 * holds; undefined for som's own files (names starting with `.`) and for foreign names.
 * `isDirectory` is the entry's type: data files are files, the others directories.
 */
export function parseName(
  name: string,
  isDirectory: boolean,
): { role: NameRole; piece: string } | undefined {
  if (name.startsWith('.')) return undefined;
  const [role, stem]: [NameRole, string] = name.endsWith(FILE_SUFFIX)
    ? ['file', name.slice(0, -FILE_SUFFIX.length)]
    : name.endsWith(CONTINUATION_SUFFIX)
      ? ['continuation', name.slice(0, -CONTINUATION_SUFFIX.length)]
      : ['dir', name];
  if ((role === 'file') === isDirectory) return undefined;
  const piece = decodePiece(stem);
  return piece === undefined ? undefined : { role, piece };
}

/** The name of a data file's sidecar (its attributes). */
export function sidecarName(dataName: string): string {
  return `.${dataName}.json`;
}

/** Ids of writes: 16 lowercase hex digits. */
const WRITE_ID = /^[0-9a-f]{16}$/;

/** The name of a sidecar being written by the write `id` (see {@link WRITE_ID}), before it replaces the sidecar. */
export function pendingSidecarName(dataName: string, id: string): string {
  if (!WRITE_ID.test(id)) throw new SomError('Internal', `invalid write id ${JSON.stringify(id)}`);
  return `.${dataName}.${id}.pending`;
}

/** True when `name` is a pending sidecar of the data file `dataName` (and of no other). */
export function isPendingSidecarOf(name: string, dataName: string): boolean {
  const head = `.${dataName}.`;
  const tail = '.pending';
  return (
    name.startsWith(head) &&
    name.endsWith(tail) &&
    WRITE_ID.test(name.slice(head.length, -tail.length))
  );
}

/**
 * Compare two strings in UTF-8 byte order (code point order) without encoding them:
 * UTF-16 order differs only where surrogates meet U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit moved so that surrogates (astral code points) sort above the rest of the BMP. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
