/**
 * JSON parsing whose errors give a position (line and column) and never quote the text:
 * the text may hold credentials, and V8's messages include a snippet of it.
 */
import { SomError } from './errors';

/** Offset of the first syntax error of `text` and what was expected there. */
interface JsonFault {
  offset: number;
  problem: string;
}

/** A tiny JSON scanner, used only to locate the error JSON.parse found. */
class JsonScanner {
  private i = 0;

  constructor(private readonly text: string) {}

  /** The first fault, or undefined when the text is valid JSON. */
  fault(): JsonFault | undefined {
    try {
      this.value();
      this.space();
      if (this.i < this.text.length)
        return { offset: this.i, problem: 'unexpected text after the JSON value' };
      return undefined;
    } catch (fault) {
      return fault as JsonFault;
    }
  }

  private fail(problem: string): never {
    throw {
      offset: this.i,
      problem: this.i >= this.text.length ? 'unexpected end of input' : problem,
    } satisfies JsonFault;
  }

  private space(): void {
    while (/[ \t\r\n]/.test(this.text[this.i] ?? '')) this.i++;
  }

  private expect(char: string): void {
    this.space();
    if (this.text[this.i] !== char) this.fail(`expected ${JSON.stringify(char)}`);
    this.i++;
  }

  private value(): void {
    this.space();
    const c = this.text[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c !== undefined && /[-0-9]/.test(c)) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    this.fail('expected a value (object, array, string, number, true, false or null)');
  }

  private object(): void {
    this.members('}', () => {
      this.space();
      if (this.text[this.i] !== '"') this.fail('expected a double-quoted property name');
      this.string();
      this.expect(':');
      this.value();
    });
  }

  private array(): void {
    this.members(']', () => this.value());
  }

  /** The members of an object or array (`member` reads one) up to `close`, separated by commas. */
  private members(close: '}' | ']', member: () => void): void {
    this.i++;
    this.space();
    if (this.text[this.i] === close) {
      this.i++;
      return;
    }
    for (;;) {
      member();
      this.space();
      if (this.text[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.text[this.i] === close) {
        this.i++;
        return;
      }
      this.fail(`expected "," or "${close}"`);
    }
  }

  private string(): void {
    this.i++;
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') {
        this.i++;
        return;
      }
      if (c < ' ') this.fail('control character in a string (escape it)');
      if (c === '\\') {
        const e = this.text[this.i + 1] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6)))
            this.fail('bad \\u escape');
          this.i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e) || e === '') this.fail('bad escape in a string');
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }

  private number(): void {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.text.slice(this.i));
    if (match === null) this.fail('malformed number');
    this.i += match[0].length;
  }
}

/** Line and column (1-based) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/**
 * Parse `text` as JSON (a leading byte-order mark is ignored).
 * @param what names the text in errors, e.g. `som.config.json` or `SOM_OBJECT_STORE`.
 * @throws SomError InvalidArgument `<what> is not valid JSON: <problem> at line L, column C`;
 *   the message never contains the text.
 */
export function parseJson(text: string, what: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new SomError('InvalidArgument', `${what} is empty`);
  try {
    return JSON.parse(body);
  } catch {
    const fault = new JsonScanner(body).fault() ?? { offset: 0, problem: 'invalid JSON' };
    const { line, column } = lineAndColumn(body, fault.offset);
    throw new SomError(
      'InvalidArgument',
      `${what} is not valid JSON: ${fault.problem} at line ${line}, column ${column}`,
    );
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
