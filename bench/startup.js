#!/usr/bin/env node
// Benchmark of som's start-up: `som --version`, `som ls` (the embedded default, holding the
// sample) and `som upload` of the 7-file sample (sample/dicom) into a fresh data folder,
// each a whole process timed from its start to its exit, against the floor of starting
// Node itself (`node -e 0`); alternating, medians of --rounds runs (default 5).
//
//   npm run build && node bench/startup.js [--rounds N] [--baseline OTHER_CHECKOUT]
'use strict';
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');
const bench = require('./measure');
const { ROOT, SOM, option, measure, summary } = bench;

const SAMPLE = path.join(ROOT, 'sample', 'dicom');
// A fixed key (no key file to create): the benchmark's, never a real one.
const env = { SOM_SECRET: 's'.repeat(64) };

function main() {
  if (!existsSync(SOM)) throw new Error('build first: npm run build');
  const rounds = Number(option('--rounds', '5'));
  return bench.inWorkDir('startup-', (work) => compare(work, rounds));
}

/** Run the contenders in `work` and print their figures. */
function compare(work, rounds) {
  const listed = path.join(work, 'listed');
  measure({
    args: [SOM, 'upload', SAMPLE, '--collection', 'demo'],
    cwd: work,
    env: { ...env, SOM_DATA_DIR: listed },
  });
  const contenders = { 'node -e 0': () => measure({ args: ['-e', '0'], cwd: work }) };
  for (const [label, som] of Object.entries(bench.somBuilds('som'))) {
    const listEnv = { ...env, SOM_DATA_DIR: listed };
    contenders[`${label} --version`] = () => measure({ args: [som, '--version'], cwd: work });
    contenders[`${label} ls demo`] = () =>
      measure({ args: [som, 'ls', 'demo'], cwd: work, env: listEnv });
    contenders[`${label} upload (7-file sample)`] = (round) => {
      const dataDir = path.join(work, `upload-${round}`);
      try {
        return measure({
          args: [som, 'upload', SAMPLE, '--collection', 'demo'],
          cwd: work,
          env: { ...env, SOM_DATA_DIR: dataDir },
        });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    };
  }
  const results = bench.alternate(rounds, contenders);
  console.log(`machine: ${bench.machine()}`);
  const floor = summary('node -e 0', results['node -e 0']);
  console.log(floor.line);
  for (const [name, runs] of Object.entries(results)) {
    if (name === 'node -e 0') continue;
    const { line, wall } = summary(name, runs);
    console.log(`${line}  ${((wall - floor.wall) * 1000).toFixed(0)} ms over Node's start`);
  }
}

bench.runBench(main);
