// Preloaded into the process `bench/upload.js` measures (`node -r ./bench/upload.rss.js ...`):
// on exit, writes the process's peak resident set size in bytes to $SOM_BENCH_RSS_FILE.
'use strict';
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.SOM_BENCH_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
