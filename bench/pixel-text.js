#!/usr/bin/env node
/**
 * Benchmark of @som/dicom's burned-in text detection (OCR with Debian's tesseract) on a
 * generated corpus with known text boxes: names, dates and IDs rendered into CT-, US- and
 * XR-like frames at several sizes and contrasts, and frames without text
 * (packages/dicom/test-fixtures/make_text_corpus.py). Figures printed, not a test.
 *
 *   npx tsc -b packages/dicom
 *   node bench/pixel-text.js [--images N] [--corpus DIR] [--min-confidence C] [--scale S]
 *
 * Prints, per kind and overall: box recall (a true line counts as found when detected
 * boxes cover at least half its area), box precision (detected boxes that touch a true
 * line), file recall (files with text that `detect` would quarantine), false alarms (files
 * without text it would quarantine), the share of true text pixels `redact` blanks, and
 * seconds per frame, with the ratio to decoding the same frames (the floor).
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const dicom = require(path.join(ROOT, 'packages', 'dicom', 'dist', 'index.js'));
const { grayFrames } = require(path.join(ROOT, 'packages', 'dicom', 'dist', 'pixels', 'frames.js'));
const { parseDicom } = require(path.join(ROOT, 'packages', 'dicom', 'dist', 'reader.js'));

function parseArgs(argv) {
  const args = { images: 60, corpus: undefined, minConfidence: 60, scale: 2 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    if (argv[i] === '--images') args.images = Number(next());
    else if (argv[i] === '--corpus') args.corpus = next();
    else if (argv[i] === '--min-confidence') args.minConfidence = Number(next());
    else if (argv[i] === '--scale') args.scale = Number(next());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

const area = (b) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

/** The share of `truth`'s pixels that the union of `found` covers. */
function covered(truth, found) {
  let hit = 0;
  for (let y = truth[1]; y < truth[3]; y++)
    for (let x = truth[0]; x < truth[2]; x++)
      if (found.some((b) => x >= b[0] && x < b[2] && y >= b[1] && y < b[3])) hit++;
  return hit / Math.max(1, area(truth));
}

const touches = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const corpus = args.corpus ?? path.join(ROOT, '.bench-data', `pixel-text-${args.images}`);
  if (!fs.existsSync(path.join(corpus, 'truth.json'))) {
    execFileSync(
      '/usr/bin/python3',
      [
        path.join(ROOT, 'packages/dicom/test-fixtures/make_text_corpus.py'),
        '--out',
        corpus,
        '--images',
        String(args.images),
      ],
      { stdio: 'inherit' },
    );
  }
  const truth = JSON.parse(fs.readFileSync(path.join(corpus, 'truth.json'), 'utf8'));
  const stats = {};
  const kindStats = (kind) =>
    (stats[kind] ??= {
      lines: 0,
      found: 0,
      detected: 0,
      correct: 0,
      textFiles: 0,
      flaggedText: 0,
      blankFiles: 0,
      falseAlarms: 0,
      textPixels: 0,
      blankedPixels: 0,
      frames: 0,
      ocrSeconds: 0,
      decodeSeconds: 0,
    });
  for (const [name, { kind, boxes }] of Object.entries(truth)) {
    const s = kindStats(kind);
    const bytes = fs.readFileSync(path.join(corpus, name));
    // The floor: decoding the frames to 8-bit gray, as the OCR does before tesseract.
    let started = process.hrtime.bigint();
    const parsed = parseDicom(bytes, name);
    for (const frame of grayFrames(parsed.dataset, parsed.transferSyntax.uid, name)) void frame;
    s.decodeSeconds += Number(process.hrtime.bigint() - started) / 1e9;
    started = process.hrtime.bigint();
    const search = await dicom.findBurnedInText(bytes, name, {
      minConfidence: args.minConfidence,
      scale: args.scale,
    });
    s.ocrSeconds += Number(process.hrtime.bigint() - started) / 1e9;
    s.frames += search.frames;
    const found = search.boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]);
    const redacted = dicom
      .textRegions(search.boxes)
      .map((r) => [r.shape.x0, r.shape.y0, r.shape.x1, r.shape.y1]);
    s.detected += found.length;
    s.correct += found.filter((f) => boxes.some((t) => touches(f, t))).length;
    s.lines += boxes.length;
    for (const t of boxes) {
      if (covered(t, found) >= 0.5) s.found++;
      s.textPixels += area(t);
      s.blankedPixels += covered(t, redacted) * area(t);
    }
    if (boxes.length > 0) {
      s.textFiles++;
      if (found.length > 0) s.flaggedText++;
    } else {
      s.blankFiles++;
      if (found.length > 0) s.falseAlarms++;
    }
  }
  const total = kindStats('all');
  for (const [kind, s] of Object.entries(stats)) {
    if (kind === 'all') continue;
    for (const key of Object.keys(total)) total[key] += s[key];
  }
  const pct = (a, b) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
  console.log(
    `corpus ${corpus}: ${Object.keys(truth).length} files; tesseract, min confidence ${args.minConfidence}, scale ${args.scale}`,
  );
  console.log(
    'kind  files  box recall  box precision  files flagged  false alarms  text pixels redacted  s/frame  x decode',
  );
  for (const [kind, s] of Object.entries(stats)) {
    console.log(
      [
        kind.padEnd(4),
        String(s.textFiles + s.blankFiles).padStart(5),
        `${pct(s.found, s.lines)} of ${s.lines}`.padStart(11),
        `${pct(s.correct, s.detected)} of ${s.detected}`.padStart(14),
        `${pct(s.flaggedText, s.textFiles)} of ${s.textFiles}`.padStart(14),
        `${s.falseAlarms} of ${s.blankFiles}`.padStart(13),
        pct(s.blankedPixels, s.textPixels).padStart(21),
        (s.ocrSeconds / s.frames).toFixed(3).padStart(8),
        (s.ocrSeconds / Math.max(1e-9, s.decodeSeconds)).toFixed(0).padStart(9),
      ].join('  '),
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
