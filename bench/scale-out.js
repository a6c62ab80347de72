#!/usr/bin/env node
// Benchmark of the distributed upload (docs/scale-out.md), in two parts:
//
//   npm run build && node bench/scale-out.js [--plan-files 10000,100000] [--corpus DIR]
//                                            [--runs 3] [--at-once 2] [--skip-planning] [--skip-upload]
//
// 1. Planning: `som plan --shards 64` over synthetic small files (copies of a sample file,
//    each patched to one of files/100 patients), 10,000 then 100,000 of them, then the
//    largest count again with 10 files per patient (ten times the patients): wall time,
//    files/s, the child's peak RSS (target < 300 MB, flat in the number of files and of
//    patients) and its live heap at the end (after a full collection: what planning keeps).
//    The floor, in the same run: a Node walk that opens every file and reads its first 8 KB.
// 2. Sharded upload: the CT corpus of make_corpus.py (`--patients 20 --images 40`: 3,200 CT
//    files of 512x512 and 200 MR files with large headers, 1.7 GB; generated into
//    .bench-data/scale-out/corpus on first use) planned into 8 shards uploaded 2 shards at a
//    time (`--at-once`: 1 shows the cost of sharding without two shards competing for the
//    CPUs), against one `som upload` of the same files on the same machine: total CPU (user +
//    system of every som process, the plan's included) and wall time, with their ratios
//    (target for CPU at most 1.1). The two alternate `--runs` times; medians are printed.
//
// Every run writes into a temporary directory of its own, removed at the end.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const fs = require('node:fs/promises');
const os = require('node:os');
const { Buffer } = require('node:buffer');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SOM = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'som.js');
const USAGE = path.join(__dirname, 'scale-out.usage.js');
const MB = 1024 * 1024;
const SECRET = 'the pseudonymisation key of the scale-out bench';
const SHARDS = 8;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Shards run at once. */
const AT_ONCE = Number(option('--at-once', '2'));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Run som with `args` in `cwd`; resolves with its wall time, CPU seconds, peak RSS and live
 * heap at the end (`nodeOptions` e.g. --expose-gc for the last).
 */
function runSom(args, cwd, nodeOptions = []) {
  const usageFile = path.join(cwd, `usage-${process.hrtime.bigint()}.json`);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, '-r', USAGE, SOM, ...args], {
      cwd,
      env: { ...process.env, SOM_SECRET: SECRET, SOM_BENCH_USAGE_FILE: usageFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (!existsSync(usageFile))
        return reject(new Error(`som ${args[0]} wrote no usage (exit ${code}):\n${stderr}`));
      if (code !== 0) return reject(new Error(`som ${args[0]} exited ${code}:\n${stderr}`));
      const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      resolve({ seconds, ...usage });
    });
  });
}

/** The PatientID of a DICOM file, read with the built @som/dicom. */
async function patientIdOf(file) {
  const { readHeaderIfDicom } = require(path.join(ROOT, 'packages', 'dicom'));
  const header = await readHeaderIfDicom(file, (await fs.stat(file)).size, file);
  return header.string('PatientID');
}

/** `count` copies of `template` under `dir`, each patched to one of `patients` patients. */
async function makeSmallFiles(dir, count, patients, template) {
  const bytes = readFileSync(template);
  const id = await patientIdOf(template);
  const at = bytes.indexOf(Buffer.from(id, 'latin1'));
  for (let i = 0; i < count; i++) {
    const patient = i % patients;
    const sub = path.join(dir, `p${String(patient).padStart(5, '0')}`);
    if (i < patients) mkdirSync(sub, { recursive: true });
    const copy = Buffer.from(bytes);
    copy.write(String(patient).padStart(id.length, '0').slice(-id.length), at, 'latin1');
    writeFileSync(path.join(sub, `IM${String(i).padStart(6, '0')}.dcm`), copy);
  }
}

/** The floor of planning: walk in sorted order, open every file and read its first 8 KB. */
async function walkAndRead(dir) {
  const started = process.hrtime.bigint();
  const buffer = Buffer.alloc(8192);
  const walk = async (at) => {
    for (const name of (await fs.readdir(at)).sort()) {
      const full = path.join(at, name);
      const info = await fs.stat(full);
      if (info.isDirectory()) await walk(full);
      else {
        const handle = await fs.open(full);
        await handle.read(buffer, 0, buffer.length, 0);
        await handle.close();
      }
    }
  };
  await walk(dir);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function benchPlanning(counts, work) {
  const samples = path.join(
    ROOT,
    'sample',
    'dicom',
    readdirSync(path.join(ROOT, 'sample', 'dicom'))[0],
  );
  const first = readdirSync(samples, { recursive: true }).find((name) => name.endsWith('.dcm'));
  const template = path.join(samples, first);
  const largest = Math.max(...counts);
  const cases = [
    ...counts.map((count) => ({ count, patients: Math.max(1, Math.floor(count / 100)) })),
    { count: largest, patients: Math.max(1, Math.floor(largest / 10)) },
  ];
  console.log(
    `Planning (som plan --shards 64) of small synthetic files (load ${os.loadavg()[0].toFixed(2)}):`,
  );
  for (const { count, patients } of cases) {
    const dir = path.join(work, `small-${count}-${patients}`);
    await makeSmallFiles(dir, count, patients, template);
    const floor = await walkAndRead(dir);
    const out = path.join(work, `plan-${count}-${patients}`);
    const args = ['plan', dir, '--collection', 'bench', '--shards', '64', '--out', out];
    const plan = await runSom(args, work, ['--expose-gc']);
    console.log(
      `  ${String(count).padStart(7)} files of ${String(patients).padStart(6)} patients: ${plan.seconds.toFixed(1)} s (${Math.round(count / plan.seconds)} files/s), ` +
        `peak RSS ${(plan.rss / MB).toFixed(0)} MB (target < 300 MB), live heap at the end ${(plan.live / MB).toFixed(1)} MB; ` +
        `floor (walk + read 8 KB) ${floor.toFixed(1)} s, ratio ${(floor / plan.seconds).toFixed(2)}`,
    );
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

/** The corpus at `dir`, generated there with make_corpus.py on first use. */
function ensureCorpus(dir) {
  if (existsSync(path.join(dir, 'ct'))) return dir;
  console.log(`generating the corpus into ${dir} (a few minutes) ...`);
  const generator = path.join(ROOT, 'packages', 'dicom', 'test-fixtures', 'make_corpus.py');
  execFileSync(
    '/usr/bin/python3',
    [generator, '--out', dir, '--patients', '20', '--images', '40'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  rmSync(path.join(dir, 'manifest.csv'), { force: true });
  return dir;
}

/** One `som upload` of `corpus` in a new directory under `work`. */
async function uploadOnce(corpus, work) {
  const cwd = mkdtempSync(path.join(work, 'one-'));
  try {
    const run = await runSom(['upload', corpus, '--collection', 'bench'], cwd);
    return { wall: run.seconds, cpu: run.cpu };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** `som plan` of `corpus` into {@link SHARDS} shards, run {@link AT_ONCE} at a time, in a new directory. */
async function uploadSharded(corpus, work) {
  const cwd = mkdtempSync(path.join(work, 'sharded-'));
  try {
    const started = process.hrtime.bigint();
    const plan = await runSom(
      ['plan', corpus, '--collection', 'bench', '--shards', String(SHARDS), '--out', 'plan'],
      cwd,
    );
    const runs = [plan];
    let next = 0;
    const task = async () => {
      while (next < SHARDS)
        runs.push(await runSom(['upload', '--plan', 'plan', '--shard', String(next++)], cwd));
    };
    await Promise.all(Array.from({ length: AT_ONCE }, task));
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      wall,
      cpu: runs.reduce((sum, r) => sum + r.cpu, 0),
      plan: plan.seconds,
      planCpu: plan.cpu,
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function benchSharded(corpus, work, rounds) {
  const files = readdirSync(corpus, { recursive: true }).filter((name) => name.endsWith('.dcm'));
  console.log(
    `Sharded upload of the corpus (${files.length} files): plan + ${SHARDS} shards, ${AT_ONCE} at a time, against one som upload, alternating ${rounds} times:`,
  );
  const singles = [];
  const sharded = [];
  for (let round = 1; round <= rounds; round++) {
    const load = os.loadavg()[0];
    const one = await uploadOnce(corpus, work);
    const many = await uploadSharded(corpus, work);
    singles.push(one);
    sharded.push(many);
    console.log(
      `  run ${round} (load ${load.toFixed(2)}): one process wall ${one.wall.toFixed(1)} s, CPU ${one.cpu.toFixed(1)} s; ` +
        `sharded wall ${many.wall.toFixed(1)} s, CPU ${many.cpu.toFixed(1)} s (plan ${many.plan.toFixed(1)} s, CPU ${many.planCpu.toFixed(1)} s); ` +
        `ratios CPU ${(many.cpu / one.cpu).toFixed(2)}, wall ${(many.wall / one.wall).toFixed(2)}`,
    );
  }
  const cpuRatio = median(sharded.map((s, i) => s.cpu / singles[i].cpu));
  const wallRatio = median(sharded.map((s, i) => s.wall / singles[i].wall));
  console.log(
    `  medians: one process wall ${median(singles.map((s) => s.wall)).toFixed(1)} s, CPU ${median(singles.map((s) => s.cpu)).toFixed(1)} s; ` +
      `sharded wall ${median(sharded.map((s) => s.wall)).toFixed(1)} s, CPU ${median(sharded.map((s) => s.cpu)).toFixed(1)} s; ` +
      `ratios CPU ${cpuRatio.toFixed(2)} (target <= 1.1), wall ${wallRatio.toFixed(2)} (${os.cpus().length} CPUs)`,
  );
}

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'som-bench-scale-out-'));
  try {
    if (!process.argv.includes('--skip-planning')) {
      const counts = option('--plan-files', '10000,100000').split(',').map(Number);
      await benchPlanning(counts, work);
    }
    if (!process.argv.includes('--skip-upload')) {
      const corpus = ensureCorpus(
        path.resolve(option('--corpus', path.join(ROOT, '.bench-data', 'scale-out', 'corpus'))),
      );
      await benchSharded(corpus, work, Number(option('--runs', '3')));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
