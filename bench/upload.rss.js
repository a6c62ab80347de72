// Preloaded into the process `bench/upload.js` measures (`node -r ./bench/upload.rss.js ...`):
// on exit, writes the process's peak resident set size in bytes to $SOM_BENCH_RSS_FILE, and
// the CPU seconds it used (user + system, all its threads) to $SOM_BENCH_CPU_FILE.
//
// The peak is VmHWM of /proc/self/status where there is one (Linux): getrusage's maxRSS
// (process.resourceUsage) keeps, across the exec of a spawned child, the resident size of
// the parent it was forked from, so a bench that held a few hundred MB when it spawned som
// reported that as som's peak.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

function peakResidentBytes() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

process.on('exit', () => {
  const file = process.env.SOM_BENCH_RSS_FILE;
  if (file) writeFileSync(file, String(peakResidentBytes()));
  const cpuFile = process.env.SOM_BENCH_CPU_FILE;
  if (cpuFile) {
    const { user, system } = process.cpuUsage();
    writeFileSync(cpuFile, String((user + system) / 1e6));
  }
});

module.exports = { peakResidentBytes };
