#!/usr/bin/env node
// Benchmark of the distributed upload (docs/scale-out.md), in two parts:
//
//   npm run build && node bench/scale-out.js [--plan-files 10000,100000] [--corpus DIR] [--skip-upload]
//
// 1. Planning: `som plan` over synthetic small files (copies of a sample file, each patched
//    to one of files/100 patients), 10,000 then 100,000 of them: wall time, files/s, and the
//    child's peak RSS (target < 300 MB, flat in the number of files). The floor, in the same
//    run: a Node walk that opens every file and reads its first 8 KB.
// 2. Sharded upload: the CT corpus of bench/upload.js (generated there on first use) planned
//    into 8 shards and uploaded 2 shards at a time, against one `som upload` of the same files
//    on the same machine: total CPU (user + system of every som process) and wall time, with
//    their ratios (target for CPU at most 1.1).
//
// Every run writes into a temporary directory of its own, removed at the end.
'use strict';
const { spawn } = require('node:child_process');
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

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Run som with `args` in `cwd`; resolves with its wall time, CPU seconds and peak RSS. */
function runSom(args, cwd, env = {}) {
  const usageFile = path.join(cwd, `usage-${process.hrtime.bigint()}.json`);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', USAGE, SOM, ...args], {
      cwd,
      env: { ...process.env, SOM_SECRET: SECRET, SOM_BENCH_USAGE_FILE: usageFile, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (!existsSync(usageFile))
        return reject(new Error(`som ${args[0]} wrote no usage (exit ${code}):\n${stderr}`));
      const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      resolve({ code, seconds, cpu: usage.cpu, rss: usage.rss });
    });
  });
}

/** The PatientID of a DICOM file, read with the built @som/dicom. */
async function patientIdOf(file) {
  const { readHeaderIfDicom } = require(path.join(ROOT, 'packages', 'dicom'));
  const header = await readHeaderIfDicom(file, (await fs.stat(file)).size, file);
  return header.string('PatientID');
}

/** `count` copies of `template` under `dir`, each patched to one of count/100 patients. */
async function makeSmallFiles(dir, count, template) {
  const bytes = readFileSync(template);
  const id = await patientIdOf(template);
  const at = bytes.indexOf(Buffer.from(id, 'latin1'));
  const patients = Math.max(1, Math.floor(count / 100));
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
  const template = path.join(
    ROOT,
    'sample',
    'dicom',
    readdirSync(path.join(ROOT, 'sample', 'dicom'))[0],
  );
  const first = readdirSync(template, { recursive: true }).find((name) => name.endsWith('.dcm'));
  const file = path.join(template, first);
  console.log('Planning (som plan --shards 64) of small synthetic files:');
  for (const count of counts) {
    const dir = path.join(work, `small-${count}`);
    await makeSmallFiles(dir, count, file);
    const floor = await walkAndRead(dir);
    const plan = await runSom(
      [
        'plan',
        dir,
        '--collection',
        'bench',
        '--shards',
        '64',
        '--out',
        path.join(work, `plan-${count}`),
      ],
      work,
    );
    console.log(
      `  ${String(count).padStart(7)} files: ${plan.seconds.toFixed(1)} s (${Math.round(count / plan.seconds)} files/s), ` +
        `peak RSS ${(plan.rss / MB).toFixed(0)} MB (target < 300 MB); floor (walk + read 8 KB) ${floor.toFixed(1)} s, ratio ${(floor / plan.seconds).toFixed(2)}`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchSharded(corpus, work) {
  if (!existsSync(corpus)) {
    console.log(`Sharded upload: no corpus at ${corpus} (run bench/upload.js once to make it)`);
    return;
  }
  const one = path.join(work, 'one');
  const sharded = path.join(work, 'sharded');
  mkdirSync(one);
  mkdirSync(sharded);
  const single = await runSom(['upload', corpus, '--collection', 'bench'], one);
  const plan = await runSom(
    ['plan', corpus, '--collection', 'bench', '--shards', '8', '--out', 'plan'],
    sharded,
  );
  const started = process.hrtime.bigint();
  const runs = [plan];
  let next = 0;
  const worker = async () => {
    while (next < 8)
      runs.push(await runSom(['upload', '--plan', 'plan', '--shard', String(next++)], sharded));
  };
  await Promise.all([worker(), worker()]);
  const wall = plan.seconds + Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = runs.reduce((sum, r) => sum + r.cpu, 0);
  console.log(
    'Sharded upload of the CT corpus: plan + 8 shards, 2 at a time, against one som upload:',
  );
  console.log(`  one process: wall ${single.seconds.toFixed(1)} s, CPU ${single.cpu.toFixed(1)} s`);
  console.log(
    `  sharded:     wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (plan ${plan.seconds.toFixed(1)} s)`,
  );
  console.log(
    `  ratios: CPU ${(cpu / single.cpu).toFixed(2)} (target <= 1.1), wall ${(wall / single.seconds).toFixed(2)} (${os.cpus().length} CPUs)`,
  );
}

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'som-bench-scale-out-'));
  try {
    const counts = option('--plan-files', '10000,100000').split(',').map(Number);
    await benchPlanning(counts, work);
    if (!process.argv.includes('--skip-upload'))
      await benchSharded(
        path.resolve(option('--corpus', path.join(ROOT, '.bench-data', 'upload', 'corpus'))),
        work,
      );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
