/**
 * One fuzzing process: de-identifies the cases `--from` to `--to` of a campaign, writing
 * each output that the de-identifier returns to `--out/<case>.dcm`. Prints one JSON line
 * before each case (so that the campaign knows which case a hang or a crash is in) and one
 * with its outcome: `written`, `refused` (a SomError: the file failed closed) or `crash`
 * (anything else, and SomError Internal: the de-identifier's own bugs).
 *
 *   node worker.js --seeds DIR --out DIR --campaign N --from A --to B [--keep-inputs]
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { SomError } = require('@som/core');
const { defaultRecipe, deidentify } = require('../dist');
const { loadSeed, mutant } = require('./mutate');

/** The seeds of a campaign: every `.dcm` file under `dir`, in name order. */
function loadSeeds(dir) {
  const walk = (d) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return walk(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => loadSeed(path.relative(dir, f), fs.readFileSync(f)));
}

/** The aliases every case is de-identified with. */
const ALIASES = {
  entity: { id: 'fuzz', id_source: 'DICOM PatientID', suid: 'FUZZENTITY', jitter: -37, items: [] },
  item: { id: 'fuzz', id_source: 'DICOM StudyInstanceUID', suid: 'FUZZITEM' },
};

/** De-identify case `index`; the outcome as a JSON-ready object. */
function runCase(seeds, campaign, index, out, recipe, keepInput) {
  const { seed, mutations, bytes } = mutant(seeds, campaign, index);
  if (keepInput) fs.writeFileSync(path.join(out, `${index}.in.dcm`), bytes);
  const started = process.hrtime.bigint();
  const outcome = { case: index, seed, mutations };
  try {
    const result = deidentify(bytes, {
      source: `case-${index}`,
      recipe,
      aliases: ALIASES,
      uidKey: 'fuzz-key',
    });
    fs.writeFileSync(path.join(out, `${index}.dcm`), result.bytes);
    outcome.outcome = 'written';
  } catch (err) {
    // The de-identifier turns its own bugs into SomError Internal: those are crashes too.
    const refused = err instanceof SomError && err.code !== 'Internal';
    outcome.outcome = refused ? 'refused' : 'crash';
    outcome.code = err instanceof SomError ? err.code : undefined;
    outcome.message = String(err && err.message).slice(0, 300);
    if (outcome.outcome === 'crash') outcome.stack = String(err && err.stack).slice(0, 800);
  }
  outcome.ms = Number(process.hrtime.bigint() - started) / 1e6;
  return outcome;
}

function main() {
  const args = {};
  for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (a === '--keep-inputs') args.keepInputs = true;
    else args[a.replace(/^--/, '')] = process.argv[++i];
  }
  const seeds = loadSeeds(args.seeds);
  const recipe = defaultRecipe({});
  const write = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  for (let i = Number(args.from); i < Number(args.to); i++) {
    write({ start: i });
    write(runCase(seeds, Number(args.campaign), i, args.out, recipe, args.keepInputs === true));
  }
}

if (require.main === module) main();

module.exports = { loadSeeds };
