#!/usr/bin/env node
// The floor the upload and de-identification benchmarks measure som against: a plain Node
// copy of every file of a folder into another (readFile + writeFile, a few at a time), then
// with --sync one `sync` (which makes the copy as durable as an upload: that is its floor).
//
//   node bench/copy.js FROM TO [--concurrency 4] [--sync]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs/promises');
const path = require('node:path');
const { listFiles, option } = require('./measure');

async function main() {
  const [from, to] = process.argv.slice(2);
  const concurrency = Number(option('--concurrency', '4'));
  const files = listFiles(from);
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const file = files[next++];
      const target = path.join(to, path.relative(from, file));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, await fs.readFile(file));
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (process.argv.includes('--sync')) spawnSync('sync');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
