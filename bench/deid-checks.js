#!/usr/bin/env node
/**
 * What the output checks of @som/dicom's `deidentify` cost: the validation of what is
 * written (`validatePlan`), building the search for the input's identifying values
 * (`identifyingValues`) and searching the output with it (`scan`), per file, against the
 * whole de-identification of the same file (in memory, default profile). Figures printed,
 * not a test.
 *
 *   npx tsc -b packages/dicom
 *   node bench/deid-checks.js [--corpus DIR] [--repeat N]
 *
 * Without --corpus, make_corpus.py writes 2 patients (CT files of ~0.5 MB, MR files with
 * large headers) under .bench-data/.
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'packages', 'dicom', 'dist');
const { defaultRecipe, deidentify } = require(DIST);
const { parseDicom } = require(path.join(DIST, 'reader'));
const { Engine } = require(path.join(DIST, 'deid', 'engine'));
const { compileRecipe } = require(path.join(DIST, 'recipe', 'compile'));
const { DicomHeader } = require(path.join(DIST, 'header'));
const { validatePlan } = require(path.join(DIST, 'validate', 'structure'));
const { identifyingValues } = require(path.join(DIST, 'validate', 'leaks'));

function parseArgs(argv) {
  const args = { repeat: 5 };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--corpus') args.corpus = path.resolve(argv[++i]);
    else if (argv[i] === '--repeat') args.repeat = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

function corpus(args) {
  if (args.corpus) return args.corpus;
  const dir = path.join(ROOT, '.bench-data', 'checks-p2-i10');
  if (!fs.existsSync(path.join(dir, 'manifest.csv'))) {
    execFileSync('/usr/bin/python3', [
      path.join(ROOT, 'packages/dicom/test-fixtures/make_corpus.py'),
      ...['--out', dir, '--patients', '2', '--images', '10', '--large-patients', '1'],
      ...['--large-images', '10'],
    ]);
  }
  return dir;
}

function files(dir) {
  const walk = (d) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return walk(dir).filter((f) => f.endsWith('.dcm'));
}

const ALIASES = {
  entity: { id: 'x', id_source: 'DICOM PatientID', suid: 'BENCHENTITY', jitter: -21, items: [] },
};

/** Milliseconds of `fn`, the median of `repeat` runs. */
function time(repeat, fn) {
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
}

function main() {
  const args = parseArgs(process.argv);
  const recipe = defaultRecipe({});
  const rows = { deid: 0, validate: 0, build: 0, scan: 0, patterns: 0, files: 0, bytes: 0 };
  for (const file of files(corpus(args))) {
    const bytes = fs.readFileSync(file);
    const options = { source: file, recipe, aliases: ALIASES, uidKey: 'bench' };
    rows.deid += time(args.repeat, () => deidentify(bytes, options));
    // The same steps as deidentify, to time the checks alone.
    const parsed = parseDicom(bytes, file);
    const engine = new Engine(compileRecipe(recipe), {
      source: file,
      header: new DicomHeader(parsed),
      variables: { jitter: -21, entity_id: 'BENCHENTITY' },
      knownVariables: new Set([
        'jitter',
        'entity_id',
        'item_id',
        'entity_timestamp',
        'item_timestamp',
      ]),
      functions: {},
      uidKey: 'bench',
    });
    const plans = engine.planTopLevel(parsed.dataset);
    const scanOptions = {
      jitter: -21,
      recipe,
      variables: { jitter: -21, entity_id: 'BENCHENTITY' },
    };
    rows.validate += time(args.repeat, () => validatePlan(plans, parsed));
    let identifying;
    rows.build += time(args.repeat, () => {
      identifying = identifyingValues(parsed, plans, scanOptions);
    });
    const outputParse = parseDicom(deidentify(bytes, options).bytes, file);
    rows.scan += time(args.repeat, () => identifying.scan(outputParse));
    rows.patterns += identifying.size;
    rows.files++;
    rows.bytes += bytes.length;
  }
  const per = (ms) => (ms / rows.files).toFixed(3);
  const checks = rows.validate + rows.build + rows.scan;
  console.log(
    `${rows.files} files, ${(rows.bytes / rows.files / 1024).toFixed(0)} KiB on average, ${(rows.patterns / rows.files).toFixed(0)} identifying patterns per file`,
  );
  console.log(`deidentify (all of it)        ${per(rows.deid)} ms/file`);
  console.log(`  validatePlan                ${per(rows.validate)} ms/file`);
  console.log(`  identifyingValues (build)   ${per(rows.build)} ms/file`);
  console.log(`  scan of the output          ${per(rows.scan)} ms/file`);
  console.log(`checks / deidentify           ${((100 * checks) / rows.deid).toFixed(1)} %`);
}

main();
