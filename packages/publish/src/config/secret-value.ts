/**
 * A secret string from the configuration (`--secret`, `SOM_SECRET`) that never shows:
 * not in `toString`, `JSON.stringify`, `util.inspect` or template strings. Only
 * {@link SecretValue.reveal} gives it, to the code that needs it (e.g. a worker thread).
 */
import { inspect } from 'node:util';

/** What a secret value shows instead of itself. */
const SHOWN = '[secret]';

/** A secret string that does not print. */
export class SecretValue {
  readonly #value: string;

  /** @param value the secret. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. */
  reveal(): string {
    return this.#value;
  }

  /** `[secret]`. */
  toString(): string {
    return SHOWN;
  }

  /** `"[secret]"` in JSON. */
  toJSON(): string {
    return SHOWN;
  }

  /** `[secret]` in `util.inspect` and `console.log`. */
  [inspect.custom](): string {
    return SHOWN;
  }
}
