/**
 * Burned-in text beyond what a filter knows: OCR of the decoded frames with Debian's
 * tesseract (`tesseract-ocr`, `tesseract-ocr-eng`), run as a child process on each frame.
 * The boxes it returns are for quarantining (`detect`) or blanking (`redact`) a file; the
 * text read is never returned, logged or kept.
 */
import { spawn } from 'node:child_process';
import { SomError } from '@som/core';
import type { DicomDataset } from '../dataset';
import { parseDicom } from '../reader';
import type { PixelRegion } from './filter-types';
import { grayFrames, type GrayFrame } from './frames';
import { QuarantineError } from './quarantine';

/** A box of text found in one frame: `[x0, x1) x [y0, y1)` in pixels. */
export interface TextBox {
  /** The frame (0-based). */
  readonly frame: number;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** Tesseract's confidence, 0-100. */
  readonly confidence: number;
}

/** Options of {@link findBurnedInText}. */
export interface TextSearchOptions {
  /** Words below this confidence (0-100) are ignored (default 60). */
  readonly minConfidence?: number;
  /** The tesseract command (default `tesseract`). */
  readonly command?: string;
  /** Frames are enlarged by this factor before OCR so small annotations are read (default 2). */
  readonly scale?: number;
}

/** What {@link findBurnedInText} found in a file. */
export interface TextSearch {
  /** Frames looked at. */
  readonly frames: number;
  /** Boxes of words found, in frame pixels. */
  readonly boxes: readonly TextBox[];
}

/**
 * Look for burned-in text in every frame of a DICOM file held in memory. A file whose pixel
 * data cannot be decoded is a {@link QuarantineError} (what cannot be read cannot be
 * cleared); a missing tesseract is a SomError FailedPrecondition naming the Debian packages.
 */
export async function findBurnedInText(
  bytes: Buffer,
  source: string,
  options: TextSearchOptions = {},
): Promise<TextSearch> {
  const parsed = parseDicom(bytes, source);
  return findTextInDataset(parsed.dataset, parsed.transferSyntax.uid, source, options);
}

/** {@link findBurnedInText} on a parsed data set. */
export async function findTextInDataset(
  dataset: DicomDataset,
  transferSyntaxUid: string,
  source: string,
  options: TextSearchOptions = {},
): Promise<TextSearch> {
  const boxes: TextBox[] = [];
  let frames = 0;
  for (const frame of grayFrames(dataset, transferSyntaxUid, source)) {
    frames++;
    boxes.push(...(await ocrFrame(frame, options)));
  }
  return { frames, boxes };
}

/** The boxes as regions to blank in every frame (`DeidOptions.redactRegions`), each widened by `margin` pixels. */
export function textRegions(boxes: readonly TextBox[], margin = 2): PixelRegion[] {
  return boxes.map((b) => ({
    keep: false,
    shape: {
      kind: 'rect',
      x0: b.x0 - margin,
      y0: b.y0 - margin,
      x1: b.x1 + margin,
      y1: b.y1 + margin,
    },
  }));
}

/** The quarantine of a file in which text was found (`detect`). */
export function textQuarantine(source: string, search: TextSearch): QuarantineError {
  const frames = new Set(search.boxes.map((b) => b.frame)).size;
  return new QuarantineError(source, {
    reason: 'burned-in-text',
    detail: `OCR found ${search.boxes.length} word${search.boxes.length === 1 ? '' : 's'} of burned-in text in ${frames} of its ${search.frames} frame${search.frames === 1 ? '' : 's'}`,
  });
}

/** One frame through tesseract: words of at least two letters or digits, above the confidence. */
async function ocrFrame(frame: GrayFrame, options: TextSearchOptions): Promise<TextBox[]> {
  const scale = options.scale ?? 2;
  const minConfidence = options.minConfidence ?? 60;
  const tsv = await runTesseract(toPgm(frame, scale), options.command ?? 'tesseract');
  const boxes: TextBox[] = [];
  for (const line of tsv.split('\n').slice(1)) {
    const cells = line.split('\t');
    if (cells[0] !== '5' || cells.length < 12) continue;
    const [left, top, width, height, confidence] = cells.slice(6, 11).map(Number);
    const text = cells.slice(11).join('\t');
    if (!/[A-Za-z0-9].*[A-Za-z0-9]/.test(text) || (confidence ?? 0) < minConfidence) continue;
    boxes.push({
      frame: frame.index,
      x0: Math.floor((left ?? 0) / scale),
      y0: Math.floor((top ?? 0) / scale),
      x1: Math.ceil(((left ?? 0) + (width ?? 0)) / scale),
      y1: Math.ceil(((top ?? 0) + (height ?? 0)) / scale),
      confidence: confidence ?? 0,
    });
  }
  return boxes;
}

/** A binary PGM of the frame, enlarged `scale` times, dark text on a light ground (tesseract reads that best). */
function toPgm(frame: GrayFrame, scale: number): Buffer {
  const { width, height, pixels } = frame;
  let sum = 0;
  for (const v of pixels) sum += v;
  const invert = sum / pixels.length < 128;
  const w = width * scale;
  const h = height * scale;
  const header = Buffer.from(`P5\n${w} ${h}\n255\n`, 'latin1');
  const body = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / scale) * width;
    for (let x = 0; x < w; x++) {
      const v = pixels[row + Math.floor(x / scale)] ?? 0;
      body[y * w + x] = invert ? 255 - v : v;
    }
  }
  return Buffer.concat([header, body]);
}

function runTesseract(image: Buffer, command: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, ['stdin', 'stdout', '--psm', '11', '-l', 'eng', 'tsv'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.resume();
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new SomError(
          'FailedPrecondition',
          err.code === 'ENOENT'
            ? `${command} is not installed: install the Debian packages tesseract-ocr and tesseract-ocr-eng`
            : `${command} could not run: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolvePromise(Buffer.concat(out).toString('utf8'))
        : reject(new SomError('Internal', `${command} exited with code ${code} on a frame`)),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(image);
  });
}
