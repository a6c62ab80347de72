// Preloaded into the som processes bench/scale-out.js measures (`node -r ./bench/scale-out.usage.js ...`):
// on exit, writes {"cpu": user + system seconds of the process and its threads, "rss": peak
// resident bytes} to $SOM_BENCH_USAGE_FILE.
'use strict';
const { writeFileSync } = require('node:fs');
const { peakResidentBytes } = require('./upload.rss.js');

process.on('exit', () => {
  const file = process.env.SOM_BENCH_USAGE_FILE;
  if (!file) return;
  const { user, system } = process.cpuUsage();
  writeFileSync(file, JSON.stringify({ cpu: (user + system) / 1e6, rss: peakResidentBytes() }));
});
