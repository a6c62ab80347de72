#!/usr/bin/env node
// Benchmark of `som upload` against a plain Node copy of the same files, in the same run.
//
//   npm run build && node bench/upload.js [--corpus DIR] [--concurrency N]
//
// The corpus is the 2,000-file CT corpus of packages/dicom/test-fixtures/make_corpus.py (the
// project's copy of shared/tools/make_corpus.py: 20 patients x 2 studies x 2 series x 25
// images, 512x512, ~530 KB each, PHI in header, sequences and private tags), generated into
// .bench-data/upload/corpus on first use with Debian's /usr/bin/python3 + python3-pydicom +
// python3-numpy. `som upload` runs as a child process into the embedded default (fs objects
// + SQLite under a fresh temporary directory), twice: the first run stores everything, the
// second finds everything unchanged. The baseline reads and writes every file with Node
// (fs.promises readFile + writeFile, the same concurrency) into another temporary
// directory; for reference, the fs object store alone (the original bytes put through
// @som/fs as som upload puts them: hashed by the store as it writes, durable writes) is
// timed too. Figures: files/s, MB/s, the ratio of som's throughput to the copy's, and the
// child's peak RSS. Targets: ratio >= 0.5, peak RSS < 300 MB.
//
// Every phase writes into a directory of its own, all removed when the bench ends, and
// starts after a `sync`: on ext4 without a journal (these machines), files created within a
// minute or more of a mass delete in the same block group first scan the deleted inodes
// (about 1 ms a file), which slowed whichever phase followed a removal by up to half.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } = require('node:fs');
const fs = require('node:fs/promises');
const { Readable } = require('node:stream');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SOM = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'som.js');
const MB = 1024 * 1024;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const corpus = path.resolve(option('--corpus', path.join(ROOT, '.bench-data', 'upload', 'corpus')));
const concurrency = Number(option('--concurrency', '8'));

function ensureCorpus() {
  if (existsSync(path.join(corpus, 'ct'))) return path.join(corpus, 'ct');
  console.log(`generating the corpus into ${corpus} (a few minutes) ...`);
  const generator = path.join(ROOT, 'packages', 'dicom', 'test-fixtures', 'make_corpus.py');
  execFileSync('/usr/bin/python3', [generator, '--out', corpus, '--large-patients', '0'], {
    stdio: 'inherit',
  });
  return path.join(corpus, 'ct');
}

function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

/**
 * The embedded default's object store alone, same concurrency: the original bytes put as
 * som upload puts a new object (a stream of the buffer, hashed by the store as it writes).
 */
async function storeOnly(files, root) {
  const { FsObjectDriver } = require(path.join(ROOT, 'packages', 'fs', 'dist', 'index.js'));
  const { ObjectStore } = require(path.join(ROOT, 'packages', 'core', 'dist', 'index.js'));
  const store = new ObjectStore(new FsObjectDriver({ type: 'fs', root }));
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const n = next++;
      const bytes = await fs.readFile(files[n]);
      await store.put(`Collection/bench/Entity/e/Images/${n}`, Readable.from([bytes]), {
        contentType: 'application/dicom',
      });
    }
  }
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  await store.close();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function plainCopy(files, from, to) {
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const file = files[next++];
      const target = path.join(to, path.relative(from, file));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, await fs.readFile(file));
    }
  }
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function runSom(args, cwd) {
  const rssFile = path.join(cwd, 'rss.txt');
  const started = process.hrtime.bigint();
  const child = spawnSync(
    process.execPath,
    ['-r', path.join(__dirname, 'upload.rss.js'), SOM, ...args],
    {
      cwd,
      env: { ...process.env, SOM_BENCH_RSS_FILE: rssFile, SOM_CONCURRENCY: String(concurrency) },
      encoding: 'utf8',
      maxBuffer: 64 * MB,
    },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0)
    throw new Error(`som ${args.join(' ')} exited ${child.status}:\n${child.stderr}`);
  const report = JSON.parse(child.stdout);
  return { seconds, rss: Number(readFileSync(rssFile, 'utf8')), counts: report.summary.counts };
}

function rate(label, files, bytes, seconds) {
  return `${label.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s  ${(files / seconds).toFixed(0).padStart(6)} files/s  ${(bytes / MB / seconds).toFixed(1).padStart(7)} MB/s`;
}

async function main() {
  if (!existsSync(SOM)) throw new Error('build first: npm run build');
  const ct = ensureCorpus();
  const files = listFiles(ct);
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const work = mkdtempSync(path.join(os.tmpdir(), 'som-bench-upload-'));
  try {
    // Warm the page cache for both contenders.
    for (const f of files) readFileSync(f);
    spawnSync('sync');
    const copySeconds = await plainCopy(files, ct, path.join(work, 'copy'));
    spawnSync('sync');
    const storeSeconds = await storeOnly(files, path.join(work, 'store'));
    spawnSync('sync');
    const first = runSom(['upload', ct, '--collection', 'bench', '--json'], work);
    spawnSync('sync');
    const second = runSom(['upload', ct, '--collection', 'bench', '--json'], work);
    const ratio = copySeconds / first.seconds;
    console.log(
      `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`,
    );
    console.log(
      `corpus: ${files.length} files, ${(bytes / MB).toFixed(0)} MB (${ct}); concurrency ${concurrency}`,
    );
    console.log(rate('plain Node copy', files.length, bytes, copySeconds));
    console.log(rate('fs object store puts only', files.length, bytes, storeSeconds));
    console.log(
      rate('som upload (first run)', files.length, bytes, first.seconds) +
        `  peak RSS ${(first.rss / MB).toFixed(0)} MB  ${JSON.stringify(first.counts)}`,
    );
    console.log(
      rate('som upload (rerun)', files.length, bytes, second.seconds) +
        `  peak RSS ${(second.rss / MB).toFixed(0)} MB  ${JSON.stringify(second.counts)}`,
    );
    console.log(
      `ratio som/fs-store-only throughput: ${(storeSeconds / first.seconds).toFixed(2)}x`,
    );
    console.log(
      `ratio som/copy throughput: ${ratio.toFixed(2)}x (target >= 0.5x)  ${ratio >= 0.5 ? 'ok' : 'BELOW TARGET'}`,
    );
    console.log(
      `peak RSS: ${(Math.max(first.rss, second.rss) / MB).toFixed(0)} MB (target < 300 MB)  ${Math.max(first.rss, second.rss) < 300 * MB ? 'ok' : 'ABOVE TARGET'}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
