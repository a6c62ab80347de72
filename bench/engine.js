#!/usr/bin/env node
/**
 * Micro-benchmark of @som/dicom's `deidentify` in one process: the same files, held in
 * memory, de-identified again and again with the default profile and pixel filter (as
 * `som deid` runs them), CPU milliseconds per file. With `--baseline DIR`, the build of
 * @som/dicom in another checkout is loaded into the same process too and the two are
 * alternated round by round, so that both see the same machine load; medians printed, with
 * the ratio baseline/this. The floor: parsing the same files (`parseDicom`), which any
 * de-identification does at least. Figures printed, not a test.
 *
 *   npx tsc -b packages/dicom
 *   node bench/engine.js [--corpus ct|small|DIR] [--files N] [--rounds N] [--build DIR]
 *                        [--baseline DIR [--baseline-first]]
 *
 * `--corpus` (default `ct`) is one of upload.js's corpora (generated into .bench-data/ on
 * first use) or a folder of DICOM files; `--files` (default 400) of its files, in name order;
 * `--rounds` (default 15) rounds of each build. `--build DIR` measures another checkout's
 * build instead of this one (e.g. two commits built side by side). The build loaded first runs a little faster
 * (about 3% in a run against a copy of itself): `--baseline-first` loads the baseline first,
 * to check a ratio both ways. For a CPU profile of this build alone:
 * `node --cpu-prof --cpu-prof-dir=DIR bench/engine.js`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, corpus, machine, median, option, runBench } = require('./measure.js');

/** A de-identifier of one checkout's build: `run(files)` de-identifies each file once. */
function loadBuild(root, secret) {
  const dist = path.join(root, 'packages', 'dicom', 'dist');
  const dicom = require(dist);
  // The key class of the @som/identifiers this build of @som/dicom loads.
  const { SecretKey } = require(require.resolve('@som/identifiers', { paths: [dist] }));
  const recipe = dicom.defaultRecipe({});
  const pixelFilter = dicom.defaultPixelFilter();
  /** One alias per patient (the first folder of the file's path), as DASHER gives. */
  const aliases = new Map();
  const aliasOf = (name) => {
    const patient = name.split(path.sep)[0];
    let alias = aliases.get(patient);
    if (!alias) {
      const suid = `ALIAS${aliases.size}`;
      alias = { entity: { id: patient, id_source: 'bench', suid, jitter: -17, items: [] } };
      aliases.set(patient, alias);
    }
    return alias;
  };
  return {
    name: root,
    run(files) {
      // A new key object each round: remapped UIDs are remembered per key, and a real run
      // meets each SOP Instance UID once (a study's UIDs once per file of the study).
      const uidKey = SecretKey.from(secret);
      let fields = 0;
      for (const { name, bytes } of files) {
        const options = { source: name, recipe, uidKey, pixelFilter, aliases: aliasOf(name) };
        fields += Object.keys(dicom.deidentify(bytes, options).searchable).length;
      }
      return fields;
    },
  };
}

/** CPU milliseconds (user + system) of `fn()`. */
function cpuMs(fn) {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function main() {
  const args = process.argv.slice(2);
  const { dir, files: paths } = corpus(option('--corpus', 'ct'));
  const count = Number(option('--files', '400'));
  const rounds = Number(option('--rounds', '15'));
  const baseline = option('--baseline', undefined);
  const files = paths
    .slice(0, count)
    .map((p) => ({ name: path.relative(dir, p), bytes: fs.readFileSync(p) }));
  const secret = 'b'.repeat(64);
  const build = path.resolve(option('--build', ROOT));
  const roots = baseline ? [build, path.resolve(baseline)] : [build];
  if (args.includes('--baseline-first')) roots.reverse();
  const builds = roots.map((root) => loadBuild(root, secret));
  if (args.includes('--baseline-first')) builds.reverse(); // this build first, then the baseline
  const { parseDicom } = require(path.join(ROOT, 'packages', 'dicom', 'dist'));
  const floor = {
    name: 'floor: parseDicom of each file',
    run: (list) =>
      list.reduce((n, f) => n + parseDicom(f.bytes, f.name).dataset.elements.length, 0),
  };
  const all = [...builds, floor];
  for (const b of all) b.run(files); // warm-up: the JIT, the recipe's compilation
  const times = all.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = all.map((_, i) => (r % 2 === 0 ? i : all.length - 1 - i));
    for (const i of order) times[i].push(cpuMs(() => all[i].run(files)) / files.length);
  }
  const kb = files.reduce((n, f) => n + f.bytes.length, 0) / files.length / 1024;
  console.log(machine());
  console.log(
    `${files.length} files (${kb.toFixed(0)} KB each) of ${dir}, ${rounds} alternating rounds, ` +
      'CPU ms per file (median, min-max):',
  );
  all.forEach((b, i) => {
    const t = times[i];
    const range = `${Math.min(...t).toFixed(3)}-${Math.max(...t).toFixed(3)}`;
    console.log(`  ${median(t).toFixed(3).padStart(7)}  (${range})  ${b.name}`);
  });
  if (baseline)
    console.log(`  ratio baseline/this: ${(median(times[1]) / median(times[0])).toFixed(2)}x`);
}

runBench(main);
