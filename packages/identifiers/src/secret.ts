/**
 * A pseudonymisation key that never shows its value: not in `toString`, `JSON.stringify`,
 * `util.inspect`, template strings or error messages. Only a one-way fingerprint is public.
 */
import { createHmac, type Hmac } from 'node:crypto';
import { inspect } from 'node:util';
import { SomError } from '@som/core';

/**
 * The shortest pseudonymisation key, in characters, som accepts from a key file or a
 * secret: a shorter one could be guessed, and with the key anyone holding an original id
 * can find its alias.
 */
export const MIN_KEY_LENGTH = 32;

/**
 * A secret given for the pseudonymisation key (e.g. `--secret`) is shorter than
 * {@link MIN_KEY_LENGTH}: code InvalidArgument. The message never holds the secret.
 */
export class KeyTooShortError extends SomError {
  /** Where the secret came from, e.g. `--secret/SOM_SECRET`. */
  readonly origin: string;

  /** @param origin where the secret came from. */
  constructor(origin: string) {
    super(
      'InvalidArgument',
      `the pseudonymisation key from ${origin} is shorter than ${MIN_KEY_LENGTH} characters; use a random one (e.g. the output of: openssl rand -hex 32)`,
    );
    this.name = 'KeyTooShortError';
    this.origin = origin;
  }
}

/**
 * The key of every local alias and remapped UID. Construct with {@link SecretKey.from}
 * (a `--secret` value) or {@link loadOrCreateKey} (a key file).
 */
export class SecretKey {
  readonly #bytes: Buffer;

  /**
   * A short public name of the key: the first 8 hex characters of an HMAC of a fixed
   * message under the key. It tells which key made a set of aliases and reveals nothing
   * usable about the key itself.
   */
  readonly fingerprint: string;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.fingerprint = createHmac('sha256', bytes)
      .update('som key fingerprint')
      .digest('hex')
      .slice(0, 8);
  }

  /**
   * A key from a string (used as its UTF-8 bytes, exactly as given) or from raw bytes (copied).
   * The same string always gives the same aliases, whichever way it reached som.
   * @throws SomError InvalidArgument when the value is empty.
   */
  static from(value: string | Buffer | SecretKey): SecretKey {
    if (value instanceof SecretKey) return value;
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    if (bytes.length === 0)
      throw new SomError('InvalidArgument', 'the pseudonymisation key is empty');
    return new SecretKey(bytes);
  }

  /**
   * A key from a secret a person gave (e.g. `--secret` or `SOM_SECRET`), used exactly as
   * given, like {@link SecretKey.from}.
   * @param secret the secret.
   * @param origin where it came from, for the error message.
   * @throws KeyTooShortError when it has fewer than {@link MIN_KEY_LENGTH} characters
   *   (surrounding white space not counted).
   */
  static fromSecret(secret: string, origin: string): SecretKey {
    if (secret.trim().length < MIN_KEY_LENGTH) throw new KeyTooShortError(origin);
    return SecretKey.from(secret);
  }

  /** A fresh HMAC-SHA256 under this key; the key bytes themselves never leave the object. */
  createHmac(): Hmac {
    return createHmac('sha256', this.#bytes);
  }

  /** `SecretKey(<fingerprint>)`: never the key. */
  toString(): string {
    return `SecretKey(${this.fingerprint})`;
  }

  /** What `JSON.stringify` writes: `SecretKey(<fingerprint>)`, never the key. */
  toJSON(): string {
    return this.toString();
  }

  /** What `util.inspect` and `console.log` show: `SecretKey(<fingerprint>)`, never the key. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** The text that replaces a secret in messages. */
export const REDACTED = '[redacted]';

/**
 * `text` with every occurrence of each of `secrets` (ignoring empty ones) replaced by
 * {@link REDACTED}. A last line of defence for messages built from server answers.
 */
export function redact(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length > 0) out = out.split(secret).join(REDACTED);
  }
  return out;
}
