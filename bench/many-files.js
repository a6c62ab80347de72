#!/usr/bin/env node
// Peak memory of `som upload` and `som deid` against the NUMBER of files: tiny generated DICOM
// files (a few hundred bytes each: a CT header and 8x8 pixels, `--patients` patients with
// 100 images per series), at each count of `--counts` (default 10,000, 50,000 and 100,000),
// each a whole process whose peak RSS is read by upload.rss.js. What a run holds per file
// shows as the slope between counts; flat memory is a slope near zero.
//
//   npm run build && node bench/many-files.js [--counts 10000,50000,100000] [--patients 100]
//                                             [--only upload|deid] [--rounds 1] [--baseline DIR]
//
// With --baseline, the som built in another checkout (e.g. main's) runs too.
// The floor: the same files copied by bench/copy.js (a process that holds one file at a
// time). First, what the first pass keeps per file until the run ends, measured exactly: the
// JavaScript heap held after full collections once `scanInputs` has read the largest corpus
// (and the run's pending files are expected), divided by its files. `som upload` lets its
// heap grow to five times what is live between full collections, so each byte held per file
// may cost up to five of peak RSS. Files are generated into .bench-data/many-files-N/ on first use (kept for reruns;
// 100,000 files take ~400 MB of disk, mostly file system blocks).
'use strict';
const { Buffer } = require('node:buffer');
const fs = require('node:fs');
const path = require('node:path');
const bench = require('./measure');
const { SOM, MB, ROOT, option, measure, median } = bench;

/** Explicit VR little endian element: tag, VR, value (padded to an even length). */
function element(group, elem, vr, value) {
  let bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1');
  if (bytes.length % 2) bytes = Buffer.concat([bytes, Buffer.from(vr === 'UI' ? '\0' : ' ')]);
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(bytes.length, 8);
  else head.writeUInt16LE(bytes.length, 6);
  return Buffer.concat([head, bytes]);
}

const us = (n) => Buffer.from(Uint16Array.of(n).buffer);
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const ROOT_UID = '1.2.826.0.1.3680043.9.7777';

/** A tiny CT file: patient `p`, study `s`, series `r`, image `i`. */
function tinyCt(p, s, r, i) {
  const study = `${ROOT_UID}.1.${p}.${s}`;
  const series = `${study}.${r}`;
  const sop = `${series}.${i}`;
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', CT_IMAGE),
    element(0x0002, 0x0003, 'UI', sop),
    element(0x0002, 0x0010, 'UI', EXPLICIT_LE),
    element(0x0002, 0x0012, 'UI', `${ROOT_UID}.0`),
  ]);
  const groupLength = Buffer.alloc(12);
  groupLength.write('\x02\x00\x00\x00UL\x04\x00', 0, 'latin1');
  groupLength.writeUInt32LE(meta.length, 8);
  const pixels = Buffer.alloc(8 * 8 * 2, (p + i) & 0xff);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    groupLength,
    meta,
    element(0x0008, 0x0008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    element(0x0008, 0x0016, 'UI', CT_IMAGE),
    element(0x0008, 0x0018, 'UI', sop),
    element(0x0008, 0x0020, 'DA', '20200101'),
    element(0x0008, 0x0050, 'SH', `ACC${p}X${s}`),
    element(0x0008, 0x0060, 'CS', 'CT'),
    element(0x0010, 0x0010, 'PN', `Doe^Patient${p}`),
    element(0x0010, 0x0020, 'LO', `PAT${String(p).padStart(6, '0')}`),
    element(0x0010, 0x0030, 'DA', '19700101'),
    element(0x0020, 0x000d, 'UI', study),
    element(0x0020, 0x000e, 'UI', series),
    element(0x0020, 0x0013, 'IS', String(i)),
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    element(0x0028, 0x0010, 'US', us(8)),
    element(0x0028, 0x0011, 'US', us(8)),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(16)),
    element(0x0028, 0x0102, 'US', us(15)),
    element(0x0028, 0x0103, 'US', us(0)),
    element(0x7fe0, 0x0010, 'OW', pixels),
  ]);
}

/**
 * `count` tiny files in .bench-data/many-files-COUNT/ (patient/study/series/image.dcm), made
 * on first use: the patients split the files evenly, 2 studies each, series of 100 images.
 */
function tinyCorpus(count, patients) {
  const dir = path.join(ROOT, '.bench-data', `many-files-${count}-${patients}`);
  if (fs.existsSync(path.join(dir, 'done'))) return dir;
  console.log(`generating ${count} tiny files into ${dir} ...`);
  fs.rmSync(dir, { recursive: true, force: true });
  const perPatient = Math.ceil(count / patients);
  let made = 0;
  for (let p = 0; made < count; p++) {
    for (let k = 0; k < perPatient && made < count; k++, made++) {
      const s = k % 2;
      const r = Math.floor(k / 200);
      const i = Math.floor(k / 2) % 100;
      const folder = path.join(dir, `p${p}`, `s${s}`, `r${r}`);
      if (i === 0 || k < 2) fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, `${i}.dcm`), tinyCt(p, s, r, i));
    }
  }
  fs.writeFileSync(path.join(dir, 'done'), '');
  return dir;
}

/**
 * In a child process (`--held ROOT CORPUS`, run with --expose-gc): print the heap bytes the
 * first pass of the som built in ROOT holds per file of CORPUS.
 */
async function held(root, corpus) {
  const dist = path.join(root, 'packages', 'publish', 'dist');
  const { scanInputs } = require(path.join(dist, 'index.js'));
  const { PendingFiles, Report } = require(path.join(dist, '5-summarise', 'report.js'));
  // One file first, so that what the first file loads (code, dictionaries) is not counted.
  await scanInputs(
    [path.join(corpus, 'p0', 's0', 'r0', '0.dcm')],
    { concurrency: 1 },
    new Report([]),
  );
  global.gc();
  const before = process.memoryUsage().heapUsed;
  const pending = new PendingFiles();
  const scan = await scanInputs([corpus], { concurrency: 4 }, new Report([pending]));
  pending.expect(scan.files);
  global.gc();
  global.gc();
  const bytes = process.memoryUsage().heapUsed - before;
  console.log(JSON.stringify({ files: scan.files.length, bytes }));
}

/** The heap bytes per file the first pass of each build holds over `corpus` (see {@link held}). */
function heldPerFile(corpus) {
  const builds = { 'this checkout': ROOT };
  const other = option('--baseline', undefined);
  if (other !== undefined) builds.baseline = path.resolve(other);
  for (const [name, root] of Object.entries(builds)) {
    const run = measure({
      args: ['--expose-gc', path.join(__dirname, 'many-files.js'), '--held', root, corpus],
    });
    const { files, bytes } = JSON.parse(run.stdout);
    console.log(
      `first pass, ${name}: ${(bytes / MB).toFixed(1)} MB of heap held for ${files} files, ${(bytes / files).toFixed(0)} bytes per file`,
    );
  }
}

// A fixed key (no key file to create): the benchmark's, never a real one.
const SECRET = { SOM_SECRET: 'b'.repeat(64) };

/** Peak RSS in MB of `run()` over `rounds` fresh directories under `work` (median). */
function peakOf(work, rounds, run) {
  const peaks = [];
  for (let round = 0; round < rounds; round++) {
    const dir = fs.mkdtempSync(path.join(work, 'run-'));
    try {
      bench.syncAll();
      peaks.push(run(dir).rss / MB);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return median(peaks);
}

function main() {
  if (!fs.existsSync(SOM)) throw new Error('build first: npm run build');
  const counts = option('--counts', '10000,50000,100000').split(',').map(Number);
  const patients = Number(option('--patients', '100'));
  const rounds = Number(option('--rounds', '1'));
  const only = option('--only', undefined);
  console.log(`# peak RSS against the number of files (${bench.machine()})`);
  heldPerFile(tinyCorpus(Math.max(...counts), patients));
  return bench.inWorkDir('many-files-runs-', (work) => {
    const rows = [];
    for (const count of counts) {
      const corpus = tinyCorpus(count, patients);
      const row = { count };
      row.copy = peakOf(work, rounds, (dir) =>
        measure({ args: [path.join(__dirname, 'copy.js'), corpus, path.join(dir, 'out')] }),
      );
      for (const [name, som] of Object.entries(bench.somBuilds('upload'))) {
        if (only !== undefined && only !== 'upload') break;
        row[name] = peakOf(work, rounds, (dir) => {
          const run = measure({
            args: [som, 'upload', corpus, '--collection', 'bench', '--json'],
            cwd: dir,
            env: SECRET,
          });
          const written = JSON.parse(run.stdout).summary.counts.written;
          if (written !== count) throw new Error(`${name} wrote ${written} of ${count} files`);
          return run;
        });
      }
      for (const [name, som] of Object.entries(bench.somBuilds('deid'))) {
        if (only !== undefined && only !== 'deid') break;
        row[name] = peakOf(work, rounds, (dir) =>
          measure({
            args: [som, 'deid', corpus, '--out', path.join(dir, 'out'), '--json'],
            cwd: dir,
            env: SECRET,
          }),
        );
      }
      rows.push(row);
      console.log(
        `${String(count).padStart(8)} files: ` +
          Object.keys(row)
            .filter((name) => name !== 'count')
            .map((name) => `${name} ${row[name].toFixed(0)} MB`)
            .join(', '),
      );
    }
    const [first, last] = [rows[0], rows[rows.length - 1]];
    if (rows.length > 1)
      for (const name of Object.keys(first).filter((n) => n !== 'count' && n !== 'copy')) {
        const perFile = ((last[name] - first[name]) * MB) / (last.count - first.count);
        console.log(
          `${name}: ${perFile.toFixed(0)} bytes of peak RSS more per file (${first.count} -> ${last.count} files)`,
        );
      }
  });
}

const child = process.argv.indexOf('--held');
bench.runBench(child >= 0 ? () => held(process.argv[child + 1], process.argv[child + 2]) : main);
