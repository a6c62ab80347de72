/**
 * Progress of a run over files: a bar on a terminal (files, MB, rate, ETA) with messages
 * printed above it, or, when stderr is not a terminal, a plain status line now and then.
 */
import type { MultiBar, SingleBar } from 'cli-progress';
import type { Output } from './output';

/** How often a plain status line is printed when stderr is not a terminal. */
export const PLAIN_STATUS_INTERVAL_MS = 10_000;

const MB = 1024 * 1024;

/** Progress of files and bytes. */
export interface Progress {
  /** A file is done (whatever its outcome), `bytes` long. */
  advance(bytes: number): void;
  /** Print a message without breaking the bar. */
  message(text: string): void;
  /** Remove the bar (or print the last status). */
  stop(): void;
}

/** Rate and counts shown by both kinds of progress. */
class Counter {
  files = 0;
  bytes = 0;
  readonly started = Date.now();

  constructor(
    readonly totalFiles: number,
    readonly totalBytes: number,
  ) {}

  get rateMBs(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? this.bytes / MB / seconds : 0;
  }

  /** Time left at the rate so far, e.g. `1m05s`, or `-` before anything is done. */
  get eta(): string {
    const seconds = (Date.now() - this.started) / 1000;
    if (this.bytes === 0 || seconds <= 0) return '-';
    const left = Math.round(((this.totalBytes - this.bytes) * seconds) / this.bytes);
    return left >= 60
      ? `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s`
      : `${left}s`;
  }

  status(label: string): string {
    return `${label}: ${this.files}/${this.totalFiles} files, ${(this.bytes / MB).toFixed(1)}/${(this.totalBytes / MB).toFixed(1)} MB, ${this.rateMBs.toFixed(1)} MB/s, ETA ${this.eta}`;
  }
}

class BarProgress implements Progress {
  private readonly multi: MultiBar;
  private readonly bar: SingleBar;

  constructor(
    private readonly counter: Counter,
    private readonly output: Output,
    label: string,
  ) {
    // Loaded here: only a terminal shows a bar (never a batch job, a pipe or a log file).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed
    const { MultiBar, Presets } = require('cli-progress') as typeof import('cli-progress');
    this.multi = new MultiBar(
      {
        stream: output.stderr,
        // Not `{eta}`: cli-progress fills that one itself (seconds, without a unit).
        format: `${label} [{bar}] {percentage}% | {files}/{totalFiles} files | {mb}/{totalMb} MB | {rate} MB/s | ETA {remaining}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
      },
      Presets.shades_classic,
    );
    this.bar = this.multi.create(Math.max(counter.totalBytes, 1), 0, this.payload());
  }

  private payload(): Record<string, string | number> {
    const c = this.counter;
    return {
      files: c.files,
      totalFiles: c.totalFiles,
      mb: (c.bytes / MB).toFixed(1),
      totalMb: (c.totalBytes / MB).toFixed(1),
      rate: c.rateMBs.toFixed(1),
      remaining: c.eta,
    };
  }

  advance(bytes: number): void {
    this.counter.files++;
    this.counter.bytes += bytes;
    this.bar.update(this.counter.bytes, this.payload());
  }

  message(text: string): void {
    this.multi.log(`${this.output.secrets.redact(text)}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}

class PlainProgress implements Progress {
  private last = Date.now();

  constructor(
    private readonly counter: Counter,
    private readonly output: Output,
    private readonly label: string,
  ) {}

  advance(bytes: number): void {
    this.counter.files++;
    this.counter.bytes += bytes;
    if (Date.now() - this.last >= PLAIN_STATUS_INTERVAL_MS) {
      this.last = Date.now();
      this.output.message(this.counter.status(this.label));
    }
  }

  message(text: string): void {
    this.output.message(text);
  }

  stop(): void {}
}

/** A bar when stderr is a terminal, else occasional plain status lines. */
export function startProgress(
  output: Output,
  label: string,
  totalFiles: number,
  totalBytes: number,
): Progress {
  const counter = new Counter(totalFiles, totalBytes);
  return output.interactive
    ? new BarProgress(counter, output, label)
    : new PlainProgress(counter, output, label);
}
