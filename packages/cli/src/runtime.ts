/**
 * What every command runs with: where to print, the working directory and environment,
 * and a signal that aborts on Ctrl-C (SIGINT) or SIGTERM. Also the exit codes.
 */
import { constants } from 'node:os';
import { Output } from './io/output';

/** Exit codes of `som`. */
export const EXIT = Object.freeze({
  /** Everything asked succeeded. */
  ok: 0,
  /** Something failed: files not stored, problems left, an unreachable server. */
  failed: 1,
  /** The command line or configuration is wrong; nothing was done. */
  usage: 2,
  /**
   * Nothing failed, but the pixel safeguards kept files out (quarantined: their pixels may
   * show identity): the dataset lacks them until someone reviews them.
   */
  quarantined: 3,
});

/** The environment of one `som` run. */
export interface Runtime {
  /** Where results and messages go (redacted). */
  output: Output;
  /** The working directory. */
  cwd: string;
  /** The environment variables. */
  env: NodeJS.ProcessEnv;
  /** Aborts when the run is asked to stop (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
  /**
   * Say that a signal is how this command normally ends (a server): it then stops with
   * `message` and exit code 0 instead of 128 + the signal's number.
   */
  endsBySignal(message: string): void;
}

/** Handles SIGINT and SIGTERM: the first asks the run to stop cleanly, the second ends it at once. */
export class Interrupts {
  readonly #controller = new AbortController();
  #received: NodeJS.Signals | undefined;
  /** Set when a signal is the command's normal end: what to say then. */
  #normalEnd: string | undefined;
  readonly #handler = (signal: NodeJS.Signals): void => this.#onSignal(signal);

  /** @param output where to say that the run is stopping. */
  constructor(private readonly output: Output) {}

  /** Aborts when a signal arrives. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * The exit code for the signal received (128 + its number), or undefined when none was or
   * when a signal is the command's normal end.
   */
  get exitCode(): number | undefined {
    if (this.#received === undefined || this.#normalEnd !== undefined) return undefined;
    return 128 + constants.signals[this.#received];
  }

  /** A signal is the command's normal end: say `message` when it comes, and exit 0. */
  endsBySignal(message: string): void {
    this.#normalEnd = message;
  }

  /** Start listening. */
  install(): this {
    process.on('SIGINT', this.#handler);
    process.on('SIGTERM', this.#handler);
    return this;
  }

  /** Stop listening. */
  uninstall(): void {
    process.off('SIGINT', this.#handler);
    process.off('SIGTERM', this.#handler);
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#received !== undefined) {
      this.output.message(`som: ${signal} again: stopping now`);
      process.exit(128 + constants.signals[signal]);
    }
    this.#received = signal;
    this.output.message(
      `som: ${signal}: ${this.#normalEnd ?? 'stopping; files in flight finish'} (send it again to stop at once)`,
    );
    this.#controller.abort(new Error(`interrupted by ${signal}`));
  }
}
