/**
 * Where som prints: stdout for results, stderr for messages and progress. Every line is
 * redacted (see {@link Secrets}) before it is written.
 */
import type { Writable } from 'node:stream';
import { Secrets } from '@som/publish';

/** A writable stream that may be a terminal. */
export type Stream = Writable & { isTTY?: boolean; columns?: number };

/** The printing side of a run. */
export class Output {
  /** The secrets of this run; add to it as soon as a secret is known. */
  readonly secrets: Secrets;

  /**
   * @param stdout results (lines or JSON).
   * @param stderr messages, warnings, errors and progress.
   * @param secrets values never to print.
   */
  constructor(
    readonly stdout: Stream = process.stdout,
    readonly stderr: Stream = process.stderr,
    secrets = new Secrets(),
  ) {
    this.secrets = secrets;
  }

  /** True when progress bars can be drawn (stderr is a terminal). */
  get interactive(): boolean {
    return this.stderr.isTTY === true;
  }

  /** Print a result line on stdout. */
  line(text: string): void {
    this.stdout.write(`${this.secrets.redact(text)}\n`);
  }

  /** Print `value` as indented JSON on stdout. */
  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  /** Print a message line on stderr. */
  message(text: string): void {
    this.stderr.write(`${this.secrets.redact(text)}\n`);
  }

  /** Print `som: error: <text>` on stderr. */
  error(text: string): void {
    this.message(`som: error: ${text}`);
  }
}
