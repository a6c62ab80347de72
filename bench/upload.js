#!/usr/bin/env node
// Benchmark of `som upload` into the embedded default (fs objects + SQLite) and of
// `som deid` to a folder, each against its floor measured in the same run, alternating,
// medians of --rounds runs (default 3), every contender a whole process timed from its
// start to its exit:
//   - upload: a Node copy of the same files (readFile + writeFile, 4 at a time, bench/copy.js)
//     followed by one `sync`, which is as durable as the upload;
//   - deid: the same Node copy without the `sync`.
//
//   npm run build && node bench/upload.js [--corpus ct|small|DIR] [--rounds N] [--only upload|deid]
//                                         [--baseline OTHER_CHECKOUT]
//
// With --baseline, the som built in another checkout (e.g. main's) runs too, alternated.
//
// Corpora (generated into .bench-data/ on first use by shared/tools/make_corpus.py's copy in
// packages/dicom/test-fixtures, with Debian's /usr/bin/python3 + python3-pydicom + numpy):
//   ct: 800 CT files of ~530 KB (8 patients x 2 studies x 2 series x 25 images);
//   small: 20,000 CT files of ~30 KB (112x112; 20 x 2 x 5 x 100), where per-file costs dominate.
// Figures: median wall seconds and CPU seconds (all threads), the highest peak RSS, and the
// ratio of the floor's wall time to som's (1.0: som as fast as its floor). Targets: upload
// >= 0.8x copy+sync, deid >= 0.9x copy.
//
// Every run writes into a fresh directory, removed after it, and starts after a `sync`.
'use strict';
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const path = require('node:path');
const bench = require('./measure');
const { SOM, MB, option, measure, summary } = bench;

/** Run `fn(dir)` in a fresh directory under `work`, removed after. */
function inFresh(work, label, round, fn) {
  const dir = mkdtempSync(path.join(work, `${label}-${round}-`));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A fixed key (no key file to create): the benchmark's, never a real one.
const SECRET = { SOM_SECRET: 'b'.repeat(64) };

function main() {
  if (!existsSync(SOM)) throw new Error('build first: npm run build');
  const rounds = Number(option('--rounds', '3'));
  const only = option('--only', undefined);
  const { dir: corpus, files, bytes } = bench.corpus(option('--corpus', 'ct'));
  return bench.inWorkDir('upload-runs-', (work) =>
    compare(work, corpus, files, bytes, rounds, only),
  );
}

/** Run the contenders in `work` and print their figures. */
function compare(work, corpus, files, bytes, rounds, only) {
  const copy = (round, sync) =>
    inFresh(work, 'copy', round, (dir) =>
      measure({
        args: [path.join(__dirname, 'copy.js'), corpus, dir, ...(sync ? ['--sync'] : [])],
      }),
    );
  const contenders = {};
  if (only === undefined || only === 'upload') {
    contenders['copy + sync'] = (round) => copy(round, true);
    for (const [name, som] of Object.entries(bench.somBuilds('som upload')))
      contenders[name] = (round) =>
        inFresh(work, 'upload', round, (dir) => {
          const run = measure({
            args: [som, 'upload', corpus, '--collection', 'bench', '--json'],
            cwd: dir,
            env: SECRET,
          });
          const { counts } = JSON.parse(run.stdout).summary;
          if (counts.written !== files.length)
            throw new Error(`${name} wrote ${counts.written} of ${files.length} files`);
          return run;
        });
  }
  if (only === undefined || only === 'deid') {
    contenders['copy'] = (round) => copy(round, false);
    for (const [name, som] of Object.entries(bench.somBuilds('som deid')))
      contenders[name] = (round) =>
        inFresh(work, 'deid', round, (dir) =>
          measure({
            args: [som, 'deid', corpus, '--out', path.join(dir, 'out')],
            cwd: dir,
            env: SECRET,
          }),
        );
  }
  console.log(`machine: ${bench.machine()}`);
  console.log(
    `corpus: ${files.length} files, ${(bytes / MB).toFixed(0)} MB (${corpus}); ${rounds} rounds`,
  );
  const results = bench.alternate(rounds, contenders);
  const lines = Object.fromEntries(Object.entries(results).map(([n, r]) => [n, summary(n, r)]));
  for (const { line } of Object.values(lines)) console.log(line);
  const ratio = (som, floor, target) => {
    if (!lines[som] || !lines[floor]) return;
    const r = lines[floor].wall / lines[som].wall;
    const perFile = ((lines[som].cpu - lines[floor].cpu) / files.length) * 1000;
    console.log(
      `${som} / ${floor}: ${r.toFixed(2)}x (target >= ${target}x) ${r >= target ? 'ok' : 'BELOW TARGET'}; ` +
        `${((lines[som].cpu / files.length) * 1000).toFixed(2)} ms CPU per file (${perFile.toFixed(2)} ms more than the floor)`,
    );
  };
  for (const name of Object.keys(lines)) {
    if (name.startsWith('som upload')) ratio(name, 'copy + sync', 0.8);
    if (name.startsWith('som deid')) ratio(name, 'copy', 0.9);
  }
}

bench.runBench(main);
