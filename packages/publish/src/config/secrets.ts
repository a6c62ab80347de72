/**
 * The secret values of a run (the pseudonymisation key, store credentials, tokens) and the
 * last line of defence against printing them: every line som prints passes {@link Secrets.redact}.
 */

/** Secrets shorter than this are not redacted (they would garble every line; they are also too weak to matter). */
export const MIN_REDACTED_LENGTH = 4;

/** What replaces a secret in output. */
export const REDACTION = '[redacted]';

/** A set of secret strings that must never appear in output. */
export class Secrets {
  readonly #values = new Set<string>();

  /** Remember `value` (and, for a JSON object or array, every string inside it) as secret. */
  add(value: unknown): void {
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (trimmed.length >= MIN_REDACTED_LENGTH) this.#values.add(trimmed);
      if (value.length >= MIN_REDACTED_LENGTH) this.#values.add(value);
    } else if (Array.isArray(value)) value.forEach((item) => this.add(item));
    else if (typeof value === 'object' && value !== null)
      Object.values(value).forEach((item) => this.add(item));
  }

  /** `text` with every known secret replaced by {@link REDACTION}; longest secrets first. */
  redact(text: string): string {
    let out = text;
    for (const secret of [...this.#values].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTION);
    }
    return out;
  }
}
