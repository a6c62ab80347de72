#!/usr/bin/env node
/**
 * Benchmark of @som/dicom's `deidentify` (default PS3.15 profile, to disk) and of `som deid`
 * (the CLI, end to end) against a plain Node readFile + writeFile copy of the same files, and
 * against dcmodify (dcmtk), gdcmanon (GDCM) and a pydicom script doing comparable work, where
 * installed. Figures printed, not a test.
 *
 *   npm run build      (or npx tsc -b packages/dicom: without the CLI, `som deid` is not run)
 *   node bench/deid.js [--corpus DIR] [--patients N] [--images N] [--workers N]
 *                      [--concurrency N] [--repeat N] [--no-tools]
 *
 * Without --corpus, make_corpus.py (Debian's python3-pydicom) writes one under .bench-data/
 * (default 20 patients: 2,000 CT files of ~0.5 MB and 200 MR files with large headers;
 * --patients and --images shrink it) and later runs reuse it. The copy and the
 * de-identification run the same driver: `--workers` worker threads (default: 2, or 1 on
 * one CPU) with `--concurrency` files in flight in all (default 8), each phase in its own
 * process (so its peak RSS is its own); `som deid` runs with the same numbers of threads and
 * files in flight, timed from its start to its exit. The three are alternated `--repeat`
 * times (default 3), best kept; their outputs are removed when the bench ends (see RUNS).
 */
'use strict';

const { spawnSync, execFileSync } = require('node:child_process');
const os = require('node:os');
const { isMainThread, parentPort, Worker, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { peakResidentBytes } = require('./upload.rss.js');

const ROOT = path.join(__dirname, '..');
const DATA = path.join(ROOT, '.bench-data');
const SOM = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'som.js');
const PYTHON = '/usr/bin/python3';

function parseArgs(argv) {
  const args = {
    concurrency: 8,
    workers: Math.min(2, os.availableParallelism()),
    repeat: 3,
    tools: true,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--corpus') args.corpus = path.resolve(next());
    else if (a === '--patients') args.patients = Number(next());
    else if (a === '--images') args.images = Number(next());
    else if (a === '--concurrency') args.concurrency = Number(next());
    else if (a === '--workers') args.workers = Number(next());
    else if (a === '--repeat') args.repeat = Number(next());
    else if (a === '--no-tools') args.tools = false;
    else if (a === '--phase') args.phase = next();
    else if (a === '--out') args.out = path.resolve(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** The corpus files, relative to `dir`, from make_corpus's manifest (or a walk). */
function listFiles(dir) {
  const manifest = path.join(dir, 'manifest.csv');
  if (fs.existsSync(manifest)) {
    return fs
      .readFileSync(manifest, 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split(',')[0]);
  }
  const walk = (d) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return walk(dir).map((f) => path.relative(dir, f));
}

function makeCorpus(args) {
  const patients = args.patients ?? 20;
  const images = args.images ?? 25;
  const dir = path.join(DATA, `corpus-p${patients}-i${images}`);
  if (fs.existsSync(path.join(dir, 'manifest.csv'))) return dir;
  const large = Math.max(1, Math.round(patients / 5));
  console.log(`generating ${dir} ...`);
  execFileSync(
    PYTHON,
    [
      path.join(ROOT, 'packages/dicom/test-fixtures/make_corpus.py'),
      ...['--out', dir, '--patients', String(patients), '--images', String(images)],
      ...['--large-patients', String(large), '--large-images', String(images)],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return dir;
}

/** Run `work` over `items` with at most `concurrency` in flight. */
async function pool(items, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function makeDirs(out, files) {
  for (const dir of new Set(files.map((f) => path.dirname(path.join(out, f)))))
    fs.mkdirSync(dir, { recursive: true });
}

/** A stand-in for DASHER: keyed aliases and a jitter per patient, items per study. */
function aliasesOf(header) {
  const digest = (text) => createHmac('sha256', 'bench-key').update(text).digest();
  const pid = header.string('PatientID') ?? '';
  const study = header.string('StudyInstanceUID') ?? '';
  const d = digest(pid);
  return {
    entity: {
      id: pid,
      id_source: 'DICOM PatientID',
      suid: `E${d.toString('hex', 0, 6)}`,
      jitter: (d[6] % 60) - 30 || 1,
      items: [],
    },
    item: {
      id: study,
      id_source: 'DICOM StudyInstanceUID',
      suid: `S${digest(study).toString('hex', 0, 6)}`,
    },
  };
}

/** The work of one worker: its share of the files, `concurrency` in flight, after `ready()`. */
async function share({ phase: name, corpus, out, concurrency, files }, ready) {
  let bytes = 0;
  let failed = 0;
  let work;
  if (name === 'copy') {
    work = async (f) => {
      const data = await fs.promises.readFile(path.join(corpus, f));
      bytes += data.length;
      await fs.promises.writeFile(path.join(out, f), data);
    };
  } else {
    const { defaultRecipe, deidentify } = require(path.join(ROOT, 'packages/dicom/dist'));
    const recipe = defaultRecipe({});
    work = async (f) => {
      const data = await fs.promises.readFile(path.join(corpus, f));
      bytes += data.length;
      try {
        const result = deidentify(data, {
          source: f,
          recipe,
          aliases: aliasesOf,
          uidKey: 'bench-key',
        });
        // Write the parts in order: the pixel data goes from the input buffer to disk uncopied.
        const handle = await fs.promises.open(path.join(out, f), 'w');
        try {
          const { bytesWritten } = await handle.writev(result.parts);
          if (bytesWritten !== result.byteLength) throw new Error(`${f}: short write`);
        } finally {
          await handle.close();
        }
      } catch (err) {
        failed++;
        if (failed < 5) console.error(String(err));
      }
    };
  }
  await ready();
  await pool(files, concurrency, work);
  return { bytes, failed };
}

/** One measured phase, in this process (with `workers` worker threads): prints a JSON line. */
async function phase(args) {
  const files = listFiles(args.corpus);
  makeDirs(args.out, files);
  const perWorker = Math.max(1, Math.ceil(args.concurrency / args.workers));
  // Start the workers (loading the package and compiling the recipe), then time the work.
  const workers = Array.from({ length: args.workers }, (_, k) => {
    const mine = files.filter((_, i) => i % args.workers === k);
    const data = {
      phase: args.phase,
      corpus: args.corpus,
      out: args.out,
      concurrency: perWorker,
      files: mine,
    };
    const worker = new Worker(path.join(__dirname, 'deid.js'), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    const message = () =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    return { worker, ready: message() };
  });
  await Promise.all(workers.map((w) => w.ready));
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const shares = await Promise.all(
    workers.map(({ worker }) => {
      const done = new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage('go');
      return done;
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const { user, system } = process.cpuUsage(cpu);
  const maxRssMB = peakResidentBytes() / (1024 * 1024);
  const bytes = shares.reduce((n, s) => n + s.bytes, 0);
  const failed = shares.reduce((n, s) => n + s.failed, 0);
  console.log(
    JSON.stringify({
      files: files.length,
      bytes,
      seconds,
      cpuSeconds: (user + system) / 1e6,
      maxRssMB,
      failed,
    }),
  );
}

/**
 * Where the phases write, each into a directory of its own, removed only when the bench ends:
 * on ext4 without a journal (these machines), every file created within a minute or more of
 * a mass delete in the same block group first scans the deleted inodes (about 1 ms a file),
 * which made a phase that followed a removal up to twice as slow as one that did not.
 */
const RUNS = path.join(DATA, 'deid-runs');

function runPhase(name, corpus, args, round) {
  const out = path.join(RUNS, `${name}-${round}`);
  // Start every phase with no dirty pages of the previous one still being written back.
  spawnSync('sync');
  const run = spawnSync(
    process.execPath,
    [
      path.join(__dirname, 'deid.js'),
      '--phase',
      name,
      '--corpus',
      corpus,
      '--out',
      out,
      '--concurrency',
      String(args.concurrency),
      '--workers',
      String(args.workers),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (run.status !== 0) throw new Error(`${name} phase failed`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

/**
 * `som deid` itself, end to end (start, first pass over the headers, aliases, the report),
 * with the same number of threads and files in flight; its peak RSS from upload.rss.js.
 */
function runCli(corpus, args, round, files, bytes) {
  const out = path.join(RUNS, `som-${round}`);
  const rssFile = path.join(RUNS, `som-${round}.rss`);
  spawnSync('sync');
  const start = process.hrtime.bigint();
  const run = spawnSync(
    process.execPath,
    ['-r', path.join(__dirname, 'upload.rss.js'), SOM, 'deid', corpus, '--out', out],
    {
      cwd: RUNS,
      env: {
        ...process.env,
        SOM_SECRET: 'the key of the deid benchmark',
        SOM_CONCURRENCY: String(args.concurrency),
        SOM_WORKERS: String(args.workers),
        SOM_BENCH_RSS_FILE: rssFile,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 << 20,
    },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // It exits 1 for the corpus's manifest.csv (not DICOM): every DICOM file must be written.
  const report = fs.existsSync(path.join(out, 'som-report.json'))
    ? JSON.parse(fs.readFileSync(path.join(out, 'som-report.json'), 'utf8'))
    : undefined;
  if (report?.summary?.counts?.written !== files)
    throw new Error(`som deid failed: ${run.stderr.slice(-2000)}`);
  const maxRssMB = Number(fs.readFileSync(rssFile, 'utf8')) / 2 ** 20;
  return { files, bytes, seconds, maxRssMB, failed: 0 };
}

function installed(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Time an external tool: `prepare` (untimed) then `commands` (timed, run one after another). */
function timeTool(prepare, commands) {
  prepare();
  const start = process.hrtime.bigint();
  for (const [cmd, argv] of commands) {
    const run = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20 });
    if (run.status !== 0) throw new Error(`${cmd} failed: ${String(run.stderr).slice(0, 300)}`);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function batches(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const PHI_TAGS = [
  '0010,0010',
  '0010,0030',
  '0010,1040',
  '0010,2154',
  '0010,1001',
  '0010,1002',
  '0010,0021',
  '0008,0080',
  '0008,0081',
  '0008,1040',
  '0008,0090',
  '0008,1050',
  '0008,1070',
  '0032,1032',
  '0008,1010',
  '0018,1000',
  '0010,21B0',
  '0020,0010',
  '0008,0050',
  '0010,1010',
  '0010,1020',
  '0010,1030',
  '0008,1110',
  '0400,0561',
  '0040,0275',
  '0040,0253',
  '0008,1030',
  '0008,103E',
  '0018,1030',
  '0032,1060',
  '0010,0040',
  '0008,0020',
];

function tools(corpus, files) {
  const results = [];
  const out = (name) => path.join(DATA, `out-${name}`);
  const fresh = (name) => fs.rmSync(out(name), { recursive: true, force: true });
  if (installed('dcmodify')) {
    const dir = out('dcmodify');
    const seconds = timeTool(
      () => {
        fresh('dcmodify');
        fs.cpSync(corpus, dir, { recursive: true });
      },
      batches(files, 200).map((batch) => [
        'dcmodify',
        [
          ...['-nb', '-ie', '-imt', '-ep', '-gst', '-gse', '-gin'],
          ...['-ma', '(0010,0020)=ALIAS', '-ma', '(0010,0010)=ALIAS'],
          ...PHI_TAGS.filter((t) => t !== '0010,0010').flatMap((t) => ['-ea', `(${t})`]),
          ...batch.map((f) => path.join(dir, f)),
        ],
      ]),
    );
    results.push({
      name: 'dcmodify (dcmtk)',
      seconds,
      note: 'in place on a copy; random new UIDs; no dates shifted',
    });
    fresh('dcmodify');
  }
  if (installed('gdcmanon') && installed('openssl')) {
    const cert = path.join(DATA, 'bench-cert.pem');
    const seconds = timeTool(() => {
      fresh('gdcmanon');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=som-bench',
          '-keyout',
          path.join(DATA, 'bench-key.pem'),
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
    }, [['gdcmanon', ['-e', '-c', cert, '-r', '--continue', '-i', corpus, '-o', out('gdcmanon')]]]);
    results.push({
      name: 'gdcmanon (GDCM, PS3.15 E.1)',
      seconds,
      note: 'encrypts the originals into the file',
    });
    fresh('gdcmanon');
  }
  if (fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pydicom']).status === 0) {
    const seconds = timeTool(
      () => fresh('pydicom'),
      batches(files, 500).map((batch) => [
        PYTHON,
        [path.join(__dirname, 'deid.py'), corpus, out('pydicom'), ...batch],
      ]),
    );
    results.push({
      name: 'pydicom script',
      seconds,
      note: 'bench/deid.py: ~30 tags, UIDs, dates, private',
    });
    fresh('pydicom');
  }
  return results;
}

function row(name, files, bytes, seconds, rss, extra) {
  const fps = (files / seconds).toFixed(0).padStart(7);
  const mbps = (bytes / 1e6 / seconds).toFixed(1).padStart(8);
  const secs = seconds.toFixed(2).padStart(8);
  const mem = rss === undefined ? '       -' : `${rss.toFixed(0).padStart(5)} MB`;
  return `${name.padEnd(30)} ${fps} ${mbps} ${secs}   ${mem}   ${extra}`;
}

async function main() {
  const args = parseArgs(process.argv);
  if (args.phase) return phase(args);
  fs.mkdirSync(DATA, { recursive: true });
  const corpus = args.corpus ?? makeCorpus(args);
  const files = listFiles(corpus);
  // Warm the page cache so that every contender reads from memory.
  let total = 0;
  for (const f of files) total += fs.readFileSync(path.join(corpus, f)).length;
  console.log(
    `corpus ${corpus}: ${files.length} files, ${(total / 1e6).toFixed(0)} MB; ${args.workers} worker threads, ${args.concurrency} files in flight; ${os.availableParallelism()} CPUs`,
  );

  // Alternate the phases and keep each one's best run: the machine may be shared.
  let copy;
  let deid;
  let cli;
  fs.rmSync(RUNS, { recursive: true, force: true }); // left by an interrupted run
  fs.mkdirSync(RUNS, { recursive: true });
  try {
    for (let i = 0; i < args.repeat; i++) {
      const c = runPhase('copy', corpus, args, i);
      const d = runPhase('deid', corpus, args, i);
      const s = fs.existsSync(SOM) ? runCli(corpus, args, i, files.length, total) : undefined;
      if (!copy || c.seconds < copy.seconds) copy = c;
      if (!deid || d.seconds < deid.seconds) deid = d;
      if (s && (!cli || s.seconds < cli.seconds)) cli = s;
    }
  } finally {
    fs.rmSync(RUNS, { recursive: true, force: true });
  }
  console.log('');
  console.log(
    `${'contender'.padEnd(30)} ${'files/s'.padStart(7)} ${'MB/s'.padStart(8)} ${'seconds'.padStart(8)}   peak RSS   ratio`,
  );
  console.log(
    row(
      'copy (Node readFile+writeFile)',
      copy.files,
      copy.bytes,
      copy.seconds,
      copy.maxRssMB,
      '1.00x',
    ),
  );
  const ratio = copy.seconds / deid.seconds;
  console.log(
    row(
      'som deidentify (to disk)',
      deid.files,
      deid.bytes,
      deid.seconds,
      deid.maxRssMB,
      `${ratio.toFixed(2)}x of copy throughput (target >= 0.70)`,
    ),
  );
  if (deid.failed) console.log(`  (${deid.failed} files failed)`);
  if (cli) {
    console.log(
      row(
        'som deid (the CLI, end to end)',
        cli.files,
        cli.bytes,
        cli.seconds,
        cli.maxRssMB,
        `${(copy.seconds / cli.seconds).toFixed(2)}x of copy throughput (with start, first pass, report)`,
      ),
    );
  } else console.log('  (som deid not measured: build it first, npm run build)');
  if (args.tools) {
    for (const t of tools(corpus, files)) {
      console.log(
        row(
          t.name,
          files.length,
          total,
          t.seconds,
          undefined,
          `som is ${(t.seconds / deid.seconds).toFixed(1)}x faster; ${t.note}`,
        ),
      );
    }
  }
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const ready = () =>
    new Promise((resolve) => {
      parentPort.once('message', resolve);
      parentPort.postMessage('ready');
    });
  share(workerData, ready).then((result) => parentPort.postMessage(result));
}
