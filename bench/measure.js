// What the whole-process benchmarks (upload.js, startup.js, s3.js) share: running a command
// as a child process and measuring it (wall time, CPU time of all its threads, peak RSS),
// alternating contenders round by round, and medians.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** The built `som` command. */
const SOM = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'som.js');
const MB = 1024 * 1024;

/** The value of `--name` on the command line, else `fallback`. */
function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** The median of `values`. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Every file under `dir`, sorted. */
function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

/**
 * Run `node args...` (a Node script) or `command args...` in `cwd` and measure it: wall
 * seconds from spawn to exit; for a Node script also its CPU seconds and peak RSS (written
 * by upload.rss.js, preloaded). Throws with its stderr when it exits with another code than
 * `okCodes` allows.
 */
function measure({ node = true, command, args, cwd, env = {}, okCodes = [0] }) {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'som-bench-probe-'));
  const rssFile = path.join(probe, 'rss');
  const cpuFile = path.join(probe, 'cpu');
  const argv = node ? ['-r', path.join(__dirname, 'upload.rss.js'), ...args] : args;
  const started = process.hrtime.bigint();
  const child = spawnSync(node ? process.execPath : command, argv, {
    cwd,
    env: { ...process.env, ...env, SOM_BENCH_RSS_FILE: rssFile, SOM_BENCH_CPU_FILE: cpuFile },
    encoding: 'utf8',
    maxBuffer: 256 * MB,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    if (!okCodes.includes(child.status ?? -1))
      throw new Error(
        `${node ? 'node ' : ''}${command ?? ''} ${args.join(' ')} exited ${child.status}:\n${String(child.stderr).slice(-2000)}`,
      );
    const read = (file) => (node ? Number(fs.readFileSync(file, 'utf8')) : NaN);
    return { seconds, cpu: read(cpuFile), rss: read(rssFile), stdout: child.stdout };
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Flush the page cache's dirty pages, so that a run does not pay for the one before it. */
function syncAll() {
  spawnSync('sync');
}

/**
 * Run each contender of `contenders` (name -> function returning a measure) once per round,
 * alternating, and return name -> list of measures.
 */
function alternate(rounds, contenders) {
  const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      syncAll();
      const result = run(round);
      results[name].push(result);
      process.stderr.write(
        `  round ${round + 1} ${name}: ${result.seconds.toFixed(2)} s` +
          (Number.isFinite(result.cpu) ? `, ${result.cpu.toFixed(2)} s CPU` : '') +
          '\n',
      );
    }
  }
  return results;
}

/** One line of figures: median wall and CPU seconds, the highest peak RSS. */
function summary(name, runs) {
  const wall = median(runs.map((r) => r.seconds));
  const cpus = runs.map((r) => r.cpu).filter(Number.isFinite);
  const rss = runs.map((r) => r.rss).filter(Number.isFinite);
  const cpu = cpus.length > 0 ? median(cpus) : NaN;
  const parts = [`${name.padEnd(34)} ${wall.toFixed(2).padStart(7)} s`];
  if (Number.isFinite(cpu)) parts.push(`${cpu.toFixed(2).padStart(6)} s CPU`);
  if (rss.length > 0) parts.push(`peak RSS ${(Math.max(...rss) / MB).toFixed(0)} MB`);
  parts.push(`(runs: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')})`);
  return { wall, cpu, line: parts.join('  ') };
}

/**
 * The `som` commands to measure: this checkout's, and with `--baseline DIR` also the one
 * built in another checkout (e.g. main's), as `<label> (baseline)`, alternated with it.
 */
function somBuilds(label) {
  const builds = { [label]: SOM };
  const other = option('--baseline', undefined);
  if (other !== undefined) {
    const som = path.join(path.resolve(other), 'packages', 'cli', 'dist', 'bin', 'som.js');
    if (!fs.existsSync(som)) throw new Error(`no built som in ${other}`);
    builds[`${label} (baseline)`] = som;
  }
  return builds;
}

/** make_corpus.py's options for each named corpus (generated into .bench-data/upload-NAME). */
const CORPORA = {
  ct: ['--patients', '8'],
  small: [
    '--patients',
    '20',
    '--studies',
    '2',
    '--series',
    '5',
    '--images',
    '100',
    '--size',
    '112',
  ],
};

/**
 * The files of corpus `name` (`ct`, `small`, or a folder: make_corpus.py's `--out` or any
 * folder of files): the folder and its files with their total size. A named corpus is
 * generated on first use (Debian's /usr/bin/python3 with python3-pydicom and numpy).
 */
function corpus(name) {
  let dir = path.resolve(name);
  if (name in CORPORA) {
    const out = path.join(ROOT, '.bench-data', `upload-${name}`);
    if (!fs.existsSync(path.join(out, 'ct'))) {
      console.log(`generating the ${name} corpus into ${out} ...`);
      const generator = path.join(ROOT, 'packages', 'dicom', 'test-fixtures', 'make_corpus.py');
      execFileSync(
        '/usr/bin/python3',
        [generator, '--out', out, '--large-patients', '0', ...CORPORA[name]],
        { stdio: 'inherit' },
      );
    }
    dir = out;
  }
  if (fs.existsSync(path.join(dir, 'ct'))) dir = path.join(dir, 'ct'); // make_corpus.py's --out
  const files = listFiles(dir);
  const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  return { dir, files, bytes };
}

/** `fn(dir)` with a fresh directory under .bench-data/ named `prefix`..., removed after. */
async function inWorkDir(prefix, fn) {
  fs.mkdirSync(path.join(ROOT, '.bench-data'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.bench-data', prefix));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Run a benchmark's `main`: its error is printed, and the exit code is 1. */
function runBench(main) {
  Promise.resolve()
    .then(main)
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
}

/** The machine, for the figures' heading. */
function machine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}, load ${os.loadavg()[0].toFixed(1)}, ${new Date().toISOString().slice(0, 16)}Z`;
}

module.exports = {
  ROOT,
  SOM,
  MB,
  option,
  median,
  listFiles,
  measure,
  syncAll,
  alternate,
  summary,
  somBuilds,
  corpus,
  inWorkDir,
  runBench,
  machine,
};
