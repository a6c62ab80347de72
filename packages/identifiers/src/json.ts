/**
 * JSON parsing whose errors never quote the input: V8's SyntaxError messages include a
 * snippet of the text, which for a secrets file would be a token and for a response file
 * original identifiers. Only the position is reported.
 */
import { SomError } from '@som/core';

/** Line and column (1-based) of character `position` of `text`. */
function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/**
 * Parse `text` as JSON (a leading byte-order mark is ignored).
 * @param what names the text in errors, e.g. `DASHER response file ids.json`.
 * @throws SomError InvalidArgument `<what> is empty` or `<what> is not valid JSON (line L, column C)`;
 *   the message never contains any of the text.
 */
export function parseJsonText(text: string, what: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new SomError('InvalidArgument', `${what} is empty`);
  try {
    return JSON.parse(body);
  } catch (err) {
    const match = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    const where = match?.[1] === undefined ? '' : lineAndColumn(body, Number(match[1]));
    const at = where === '' ? '' : ` (line ${where.line}, column ${where.column})`;
    // No cause: the SyntaxError's message may quote the text.
    throw new SomError('InvalidArgument', `${what} is not valid JSON${at}`);
  }
}

/** True when `value` is a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
