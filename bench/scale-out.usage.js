// Preloaded into the som processes bench/scale-out.js measures (`node -r ./bench/scale-out.usage.js ...`):
// on exit, writes {"cpu": user + system seconds of the process and its threads, "rss": peak
// resident bytes, "live": heap bytes still referenced at the end (after a full collection;
// only when node runs with --expose-gc)} to $SOM_BENCH_USAGE_FILE.
'use strict';
const { writeFileSync } = require('node:fs');
const { peakResidentBytes } = require('./upload.rss.js');

process.on('exit', () => {
  const file = process.env.SOM_BENCH_USAGE_FILE;
  if (!file) return;
  const { user, system } = process.cpuUsage();
  const rss = peakResidentBytes();
  let live;
  if (typeof global.gc === 'function') {
    global.gc();
    live = process.memoryUsage().heapUsed;
  }
  writeFileSync(file, JSON.stringify({ cpu: (user + system) / 1e6, rss, live }));
});
