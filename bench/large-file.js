#!/usr/bin/env node
// Benchmark of files too large to hold in memory: a generated 2.1 GB multi-frame CT (1,000
// frames of 1024x1024x16 bits, sparse on disk, identifying elements after its pixel data;
// test/fixtures/make-large-dicom.py) through `som deid` and `som upload` (embedded default),
// against a plain streaming copy of the same file measured in the same run, alternating,
// medians of --rounds (default 3). Figures: seconds, the ratio of som's speed to the copy's,
// and each child's peak RSS (VmHWM, through bench/upload.rss.js). Targets: RSS < 300 MB.
//
// Then the size from which files are de-identified around their pixel data
// (STREAM_FROM_BYTES): `deidentifyInto` of the same files read whole (in memory) and around
// their pixel data (streamed), alternating, in this process, for a few file sizes.
//
//   npm run build && node bench/large-file.js [--frames N] [--rounds N] [--dir DIR]
//
// Needs Debian's /usr/bin/python3 with python3-pydicom, and about 2.2 GB free in --dir
// (default: the system's temporary directory): every output is removed after its round.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, statfsSync } = require('node:fs');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SOM = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'som.js');
const RSS_PRELOAD = path.join(__dirname, 'upload.rss.js');
const MAKE_LARGE = path.join(ROOT, 'test', 'fixtures', 'make-large-dicom.py');
const SECRET = 'the secret of the large-file bench, long enough';
const MB = 1024 * 1024;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const frames = Number(option('--frames', '1000'));
const rounds = Number(option('--rounds', '3'));
const base = option('--dir', os.tmpdir());

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

function make(file, frameCount, ...flags) {
  const out = execFileSync('/usr/bin/python3', [MAKE_LARGE, file, String(frameCount), ...flags], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/**
 * A plain streaming copy of `from` to `to` in a child process (the floor of `som deid`), and
 * its time; then `sync` (the copy plus it is the floor of `som upload`, whose store makes
 * what it writes durable).
 */
function copy(from, to) {
  const script = `require('node:stream/promises').pipeline(require('node:fs').createReadStream(process.argv[1]), require('node:fs').createWriteStream(process.argv[2]))`;
  execFileSync('sync');
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, ['-e', script, from, to]);
  const copied = seconds(start);
  execFileSync('sync');
  return { copied, synced: seconds(start) };
}

/** `som args...` in `cwd`: its time and peak RSS; throws when it fails. */
function som(args, cwd) {
  const rssFile = path.join(cwd, '.peak-rss');
  execFileSync('sync');
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-r', RSS_PRELOAD, SOM, ...args], {
    cwd,
    env: { ...process.env, SOM_BENCH_RSS_FILE: rssFile, SOM_SECRET: SECRET },
    encoding: 'utf8',
  });
  const time = seconds(start);
  if (run.status !== 0)
    throw new Error(`som ${args[0]} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return { time, rss: Number(readFileSync(rssFile, 'utf8')) };
}

function fresh(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function wholeProcesses(dir) {
  const input = path.join(dir, 'in');
  mkdirSync(input);
  const made = make(path.join(input, 'large.dcm'), frames);
  const file = path.join(input, 'large.dcm');
  const size = statSync(file).size;
  console.log(
    `file: ${(size / 1e9).toFixed(2)} GB, ${frames} frames, elements after its pixel data`,
  );
  const work = path.join(dir, 'work');
  const times = { copy: [], copySync: [], deid: [], upload: [] };
  const rss = { deid: [], upload: [] };
  for (let round = 0; round < rounds; round++) {
    const copied = copy(file, path.join(fresh(work), 'copy.dcm'));
    times.copy.push(copied.copied);
    times.copySync.push(copied.synced);
    const deid = som(['deid', input, '--out', path.join(fresh(work), 'out')], fresh(work));
    times.deid.push(deid.time);
    rss.deid.push(deid.rss);
    const upload = som(['upload', input, '--collection', 'c'], fresh(work));
    times.upload.push(upload.time);
    rss.upload.push(upload.rss);
    fresh(work);
    console.log(
      `round ${round + 1}: copy ${copied.copied.toFixed(2)} s (+sync ${copied.synced.toFixed(2)} s), som deid ${deid.time.toFixed(2)} s (${(deid.rss / MB).toFixed(0)} MB), ` +
        `som upload ${upload.time.toFixed(2)} s (${(upload.rss / MB).toFixed(0)} MB)`,
    );
  }
  console.log(`\nmedians of ${rounds} (file ${made.size} bytes):`);
  const floors = {
    deid: ['copy', median(times.copy)],
    upload: ['copy+sync', median(times.copySync)],
  };
  for (const [name, floor] of Object.values(floors))
    console.log(
      `  streaming ${name.padEnd(17)} ${floor.toFixed(2)} s  ${(size / MB / floor).toFixed(0)} MiB/s`,
    );
  for (const name of ['deid', 'upload']) {
    const t = median(times[name]);
    const [floorName, floor] = floors[name];
    console.log(
      `  som ${name.padEnd(22)} ${t.toFixed(2)} s  ${(size / MB / t).toFixed(0)} MiB/s  ${(floor / t).toFixed(2)}x the ${floorName}  peak RSS ${(median(rss[name]) / MB).toFixed(0)} MB (max ${(Math.max(...rss[name]) / MB).toFixed(0)} MB)`,
    );
  }
}

/** In this process: `deidentifyInto` of `files` read whole, and around their pixel data. */
async function threshold(dir) {
  const publish = (p) => require(path.join(ROOT, 'packages', 'publish', 'dist', p));
  const { deidentifyInto } = publish('3-deidentify/deid-file.js');
  const { loadRecipe } = publish('3-deidentify/settings.js');
  const { SecretKey } = require(path.join(ROOT, 'packages', 'identifiers', 'dist', 'index.js'));
  const settings = { recipe: await loadRecipe(undefined), key: SecretKey.from(SECRET) };
  const aliases = { entity: { id: 'LARGE-0001', suid: 'bench-entity', jitter: -3, items: [] } };
  console.log('\nread whole vs around the pixel data (deidentifyInto, this process, medians):');
  for (const [framesEach, count] of [
    [1, 64],
    [4, 32],
    [16, 8],
    [64, 2],
  ]) {
    const input = fresh(path.join(dir, 'sizes'));
    const files = [];
    for (let i = 0; i < count; i++) {
      files.push(path.join(input, `f${i}.dcm`));
      make(files[i], framesEach);
    }
    const size = statSync(files[0]).size;
    const timed = { whole: [], streamed: [] };
    for (let round = 0; round < rounds + 2; round++) {
      for (const mode of ['whole', 'streamed']) {
        const out = fresh(path.join(dir, 'sizes-out'));
        const streamFromBytes = mode === 'whole' ? Infinity : 0;
        execFileSync('sync');
        const start = process.hrtime.bigint();
        for (const [i, f] of files.entries())
          await deidentifyInto(
            f,
            f,
            aliases,
            { ...settings, streamFromBytes },
            path.join(out, `${i}.dcm`),
          );
        timed[mode].push(seconds(start));
      }
    }
    const whole = median(timed.whole);
    const streamed = median(timed.streamed);
    console.log(
      `  ${count} files of ${(size / MB).toFixed(1)} MiB: whole ${whole.toFixed(3)} s, around the pixel data ${streamed.toFixed(3)} s (${(whole / streamed).toFixed(2)}x)`,
    );
  }
  fresh(path.join(dir, 'sizes'));
  fresh(path.join(dir, 'sizes-out'));
}

async function main() {
  const { bavail, bsize } = statfsSync(base);
  if (bavail * bsize < 5 * 1024 ** 3) throw new Error(`need 5 GiB free in ${base}`);
  const dir = mkdtempSync(path.join(base, 'som-bench-large-'));
  try {
    console.log(
      `machine: ${os.cpus()[0].model} x ${os.cpus().length}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${new Date().toISOString()}`,
    );
    if (!process.argv.includes('--threshold-only')) wholeProcesses(dir);
    await threshold(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
