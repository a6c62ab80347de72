#!/usr/bin/env node
/**
 * A fuzzing campaign against @som/dicom's `deidentify` (build it first: `npx tsc -b`).
 *
 *   node packages/dicom/fuzz/campaign.js [--cases N] [--campaign N] [--jobs N] [--out DIR]
 *   node packages/dicom/fuzz/campaign.js --case N [--campaign N] [--out DIR]   (one case, kept)
 *
 * Seeds with identifying values in every place (file meta, names in three character sets,
 * nested sequences, private blocks, every transfer syntax; make_phi_corpus.py and
 * make_corpus.py with Debian's python3-pydicom) are mutated by mutate.js, case by case from a
 * deterministic random source (`--campaign` and the case number give the same bytes every
 * time), and de-identified with the default profile in worker processes. The oracle does not
 * use som's reader: every output must hold none of its seed's identifying byte patterns
 * (phi_patterns.py, from pydicom's reading of the seed) and must be read by pydicom (all
 * its seeds' patterns, one Python process for all outputs) and dcmdump. A case that
 * crashes the de-identifier, or takes more than `--stall` seconds, is a finding too. A leak
 * of a value whose element was renumbered into another attribute is listed apart
 * (`relabelled`): that corruption leaves a well-formed file, undetectable from its bytes.
 * Prints a JSON summary and exits 1 on any finding (each with its case number).
 */
'use strict';

const { Buffer } = require('node:buffer');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { clearTimeout, setTimeout } = require('node:timers');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const FIXTURES = path.join(__dirname, '..', 'test-fixtures');
const PYTHON = '/usr/bin/python3';
const WORKER = path.join(__dirname, 'worker.js');
/** Cases per worker process (a crash or hang costs at most the rest of a batch). */
const BATCH = 250;

function parseArgs(argv) {
  const args = {
    cases: 3000,
    campaign: 1,
    jobs: Math.min(2, os.availableParallelism()),
    stall: 20,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--cases') args.cases = Number(next());
    else if (a === '--campaign') args.campaign = Number(next());
    else if (a === '--jobs') args.jobs = Number(next());
    else if (a === '--out') args.out = path.resolve(next());
    else if (a === '--case') args.case = Number(next());
    else if (a === '--stall') args.stall = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Write the seeds (deterministic generators) once under `dir`. */
function makeSeeds(dir) {
  if (fs.existsSync(path.join(dir, 'phi', 'manifest.csv'))) return;
  execFileSync(PYTHON, [path.join(FIXTURES, 'make_phi_corpus.py'), '--out', path.join(dir, 'phi')]);
  execFileSync(PYTHON, [
    path.join(FIXTURES, 'make_corpus.py'),
    ...['--out', path.join(dir, 'real'), '--patients', '1', '--studies', '1', '--images', '2'],
    ...['--size', '32', '--large-patients', '1', '--large-images', '1'],
  ]);
}

/** The identifying byte patterns of each seed, by its path relative to `dir`. */
function seedPatterns(dir, seeds) {
  const stdout = execFileSync(
    PYTHON,
    [
      '-W',
      'ignore',
      path.join(FIXTURES, 'phi_patterns.py'),
      ...seeds.map((s) => path.join(dir, s.name)),
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  const out = new Map();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const { path: p, patterns } = JSON.parse(line);
    out.set(
      path.relative(dir, p),
      patterns.map(([label, hex, kind]) => ({ label, bytes: Buffer.from(hex, 'hex'), kind })),
    );
  }
  return out;
}

const isDigitOrDot = (b) => b !== undefined && ((b >= 0x30 && b <= 0x39) || b === 0x2e);

/** True when `pattern` occurs in `bytes`; a date inside a longer number (a UID) does not count. */
function occurs(bytes, pattern) {
  let at = bytes.indexOf(pattern.bytes);
  while (at >= 0) {
    if (pattern.kind !== 'date') return true;
    if (!isDigitOrDot(bytes[at - 1]) && !isDigitOrDot(bytes[at + pattern.bytes.length]))
      return true;
    at = bytes.indexOf(pattern.bytes, at + 1);
  }
  return false;
}

/** Run cases [from, to) in one worker process; resolves with their outcomes and any hang or crash. */
function runBatch(args, seedsDir, outDir, from, to) {
  return new Promise((resolve) => {
    const outcomes = [];
    const findings = [];
    let current;
    let buffered = '';
    const child = spawn(process.execPath, [
      WORKER,
      ...['--seeds', seedsDir, '--out', outDir, '--campaign', String(args.campaign)],
      ...['--from', String(from), '--to', String(to)],
    ]);
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        findings.push({ case: current, finding: 'hang', detail: `no outcome in ${args.stall} s` });
        child.kill('SIGKILL');
      }, args.stall * 1000);
    };
    arm();
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (line.start !== undefined) current = line.start;
        else {
          outcomes.push(line);
          current = undefined;
        }
        arm();
      }
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (current !== undefined && !findings.some((f) => f.case === current)) {
        findings.push({
          case: current,
          finding: 'crash',
          detail: `the process died (${signal ?? code}): ${stderr.slice(-500)}`,
        });
      }
      resolve({ outcomes, findings, next: current === undefined ? to : current + 1 });
    });
  });
}

/** Every case, `jobs` worker processes at a time; a batch cut by a hang or crash goes on after it. */
async function runCases(args, seedsDir, outDir) {
  const pending = [];
  for (let from = 0; from < args.cases; from += BATCH)
    pending.push([from, Math.min(args.cases, from + BATCH)]);
  const outcomes = [];
  const findings = [];
  const work = async () => {
    for (;;) {
      const range = pending.shift();
      if (!range) return;
      const result = await runBatch(args, seedsDir, outDir, range[0], range[1]);
      outcomes.push(...result.outcomes);
      findings.push(...result.findings);
      if (result.next < range[1]) pending.push([result.next, range[1]]);
    }
  };
  await Promise.all(Array.from({ length: args.jobs }, work));
  return { outcomes: outcomes.sort((a, b) => a.case - b.case), findings };
}

/** pydicom's reading of every output (one Python process per 400 files). */
function pydicomFindings(outputs) {
  const findings = [];
  for (let i = 0; i < outputs.length; i += 400) {
    const batch = outputs.slice(i, i + 400);
    const stdout = execFileSync(
      PYTHON,
      ['-W', 'ignore', path.join(FIXTURES, 'dicom_check.py'), ...batch.map((o) => o.file)],
      { encoding: 'utf8', maxBuffer: 256 << 20 },
    );
    const byPath = new Map(
      stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const r = JSON.parse(l);
          return [r.path, r];
        }),
    );
    for (const o of batch) {
      const r = byPath.get(o.file);
      if (!r || !r.ok)
        findings.push({
          case: o.case,
          finding: 'pydicom cannot read the output',
          detail: r?.error,
        });
    }
  }
  return findings;
}

/** dcmdump's reading of one output: any error or warning about the structure is a finding. */
function dcmdumpFinding(o) {
  const run = spawnSync('dcmdump', ['-q', o.file], { encoding: 'latin1', maxBuffer: 64 << 20 });
  const errors = `${run.stderr ?? ''}`.split('\n').filter((l) => /^[EF]:/.test(l));
  if (run.status === 0 && errors.length === 0) return undefined;
  return {
    case: o.case,
    finding: 'dcmdump cannot read the output',
    detail: errors.join(' | ').slice(0, 300),
  };
}

/**
 * True when a leak is a relabelled value: the case's only mutation renumbered one element,
 * and pydicom finds the leaked attribute nowhere in the corrupt input any more (its value
 * now stands, well-formed, under another attribute's tag). No reader can tell such a value
 * from the attribute it claims to be; see the limits in docs/deidentification.md.
 */
function isRelabelled(o, leak, seeds, args, out) {
  if (o.mutations.length !== 1 || !o.mutations[0].startsWith('tag:')) return false;
  const { mutant } = require('./mutate');
  const input = path.join(out, `${o.case}.relabelled.in.dcm`);
  fs.writeFileSync(input, mutant(seeds, args.campaign, o.case).bytes);
  const tag = /^\((\w{4}), (\w{4})\)/.exec(leak.label);
  if (!tag) return false;
  const script =
    'import sys, pydicom\n' +
    'ds = pydicom.dcmread(sys.argv[1], force=True)\n' +
    'tag = int(sys.argv[2], 16)\n' +
    'print(any(e.tag == tag for e in ds.iterall()) or tag in ds.file_meta)';
  const check = spawnSync(PYTHON, ['-W', 'ignore', '-c', script, input, tag[1] + tag[2]], {
    encoding: 'utf8',
  });
  return check.status === 0 && check.stdout.trim() === 'False';
}

/** Why a refused case was refused, in a few words (for the figures). */
function reasonOf(message) {
  const m = /: ([^:]*?)(?: at byte \d+[^:]*)?: ([^:(]+)/.exec(message ?? '');
  const words = (m ? m[2] : (message ?? '')).replace(/\d+/g, 'N').trim();
  return words.split(/[,(]/)[0].slice(0, 70);
}

async function main() {
  const args = parseArgs(process.argv);
  const out = args.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'som-fuzz-'));
  const seedsDir = path.join(out, 'seeds');
  const outDir = path.join(out, 'outputs');
  fs.mkdirSync(outDir, { recursive: true });
  makeSeeds(seedsDir);
  const { loadSeeds } = require('./worker');
  const seeds = loadSeeds(seedsDir);
  if (args.case !== undefined) {
    const result = spawnSync(
      process.execPath,
      [
        WORKER,
        ...['--seeds', seedsDir, '--out', outDir, '--campaign', String(args.campaign)],
        ...['--from', String(args.case), '--to', String(args.case + 1), '--keep-inputs'],
      ],
      { encoding: 'utf8' },
    );
    process.stdout.write(result.stdout + result.stderr);
    console.log(`input: ${path.join(outDir, `${args.case}.in.dcm`)}`);
    return;
  }
  const patterns = seedPatterns(seedsDir, seeds);
  const started = Date.now();
  const { outcomes, findings } = await runCases(args, seedsDir, outDir);
  const deidSeconds = (Date.now() - started) / 1000;
  for (const o of outcomes)
    if (o.outcome === 'crash') findings.push({ case: o.case, finding: 'crash', detail: o.message });
  const written = outcomes
    .filter((o) => o.outcome === 'written')
    .map((o) => ({ ...o, file: path.join(outDir, `${o.case}.dcm`) }));
  const relabelled = [];
  for (const o of written) {
    const bytes = fs.readFileSync(o.file);
    const leak = (patterns.get(o.seed) ?? []).find((p) => occurs(bytes, p));
    if (!leak) continue;
    const found = {
      case: o.case,
      finding: 'leak',
      detail: `${leak.label} (${o.mutations.join('; ')})`,
    };
    if (isRelabelled(o, leak, seeds, args, out)) relabelled.push(found);
    else findings.push(found);
  }
  findings.push(...pydicomFindings(written));
  for (const o of written) {
    const f = dcmdumpFinding(o);
    if (f) findings.push(f);
  }
  const reasons = {};
  for (const o of outcomes.filter((x) => x.outcome === 'refused')) {
    const r = reasonOf(o.message);
    reasons[r] = (reasons[r] ?? 0) + 1;
  }
  const mutations = {};
  for (const o of outcomes)
    for (const m of o.mutations) {
      const name = m.split(':')[0];
      mutations[name] = (mutations[name] ?? 0) + 1;
    }
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const summary = {
    campaign: args.campaign,
    seeds: seeds.length,
    cases: args.cases,
    outcomes: outcomes.length,
    written: written.length,
    refused: outcomes.filter((o) => o.outcome === 'refused').length,
    findings: findings.sort((a, b) => (a.case ?? 0) - (b.case ?? 0)),
    relabelled,
    mutations,
    refusedBecause: Object.fromEntries(
      Object.entries(reasons)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25),
    ),
    msPerCase: { median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] },
    deidSeconds,
    totalSeconds: (Date.now() - started) / 1000,
    out,
  };
  fs.writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary, null, 2));
  if (!args.out && findings.length === 0) fs.rmSync(out, { recursive: true, force: true });
  process.exitCode = findings.length > 0 || outcomes.length !== args.cases ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
