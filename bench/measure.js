// What the whole-process benchmarks (upload.js, startup.js, s3.js) share: running a command
// as a child process and measuring it (wall time, CPU time of all its threads, peak RSS),
// alternating contenders round by round, and medians.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** The built `som` command. */
const SOM = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'som.js');
const MB = 1024 * 1024;

/** The value of `--name` on the command line, else `fallback`. */
function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** The median of `values`. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Every file under `dir`, sorted. */
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
 * Run `node args...` (a Node script) or `command args...` in `cwd` and measure it: wall
 * seconds from spawn to exit; for a Node script also its CPU seconds and peak RSS (written
 * by upload.rss.js, preloaded). Throws with its stderr when it exits with another code than
 * `okCodes` allows.
 */
function measure({ node = true, command, args, cwd, env = {}, okCodes = [0] }) {
  const probe = mkdtempSync(path.join(os.tmpdir(), 'som-bench-probe-'));
  const rssFile = path.join(probe, 'rss');
  const cpuFile = path.join(probe, 'cpu');
  const argv = node ? ['-r', path.join(__dirname, 'upload.rss.js'), ...args] : args;
  const started = process.hrtime.bigint();
  const child = spawnSync(node ? process.execPath : command, argv, {
    cwd,
    env: { ...process.env, ...env, SOM_BENCH_RSS_FILE: rssFile, SOM_BENCH_CPU_FILE: cpuFile },
    encoding: 'utf8',
    maxBuffer: 256 * MB,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    if (!okCodes.includes(child.status ?? -1))
      throw new Error(
        `${node ? 'node ' : ''}${command ?? ''} ${args.join(' ')} exited ${child.status}:\n${String(child.stderr).slice(-2000)}`,
      );
    const read = (file) => (node ? Number(readFileSync(file, 'utf8')) : NaN);
    return { seconds, cpu: read(cpuFile), rss: read(rssFile), stdout: child.stdout };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Flush the page cache's dirty pages, so that a run does not pay for the one before it. */
function syncAll() {
  spawnSync('sync');
}

/**
 * Run each contender of `contenders` (name -> function returning a measure) once per round,
 * alternating, and return name -> list of measures.
 */
function alternate(rounds, contenders) {
  const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      syncAll();
      const result = run(round);
      results[name].push(result);
      process.stderr.write(
        `  round ${round + 1} ${name}: ${result.seconds.toFixed(2)} s` +
          (Number.isFinite(result.cpu) ? `, ${result.cpu.toFixed(2)} s CPU` : '') +
          '\n',
      );
    }
  }
  return results;
}

/** One line of figures: median wall and CPU seconds, the highest peak RSS. */
function summary(name, runs) {
  const wall = median(runs.map((r) => r.seconds));
  const cpus = runs.map((r) => r.cpu).filter(Number.isFinite);
  const rss = runs.map((r) => r.rss).filter(Number.isFinite);
  const cpu = cpus.length > 0 ? median(cpus) : NaN;
  const parts = [`${name.padEnd(34)} ${wall.toFixed(2).padStart(7)} s`];
  if (Number.isFinite(cpu)) parts.push(`${cpu.toFixed(2).padStart(6)} s CPU`);
  if (rss.length > 0) parts.push(`peak RSS ${(Math.max(...rss) / MB).toFixed(0)} MB`);
  parts.push(`(runs: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')})`);
  return { wall, cpu, line: parts.join('  ') };
}

/**
 * The `som` commands to measure: this checkout's, and with `--baseline DIR` also the one
 * built in another checkout (e.g. main's), as `<label> (baseline)`, alternated with it.
 */
function somBuilds(label) {
  const builds = { [label]: SOM };
  const other = option('--baseline', undefined);
  if (other !== undefined) {
    const som = path.join(path.resolve(other), 'packages', 'cli', 'dist', 'bin', 'som.js');
    if (!existsSync(som)) throw new Error(`no built som in ${other}`);
    builds[`${label} (baseline)`] = som;
  }
  return builds;
}

/** The machine, for the figures' heading. */
function machine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}, load ${os.loadavg()[0].toFixed(1)}, ${new Date().toISOString().slice(0, 16)}Z`;
}

module.exports = {
  ROOT,
  SOM,
  MB,
  option,
  median,
  listFiles,
  measure,
  syncAll,
  alternate,
  summary,
  somBuilds,
  machine,
};
