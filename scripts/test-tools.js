#!/usr/bin/env node
// Installs test-tools/ (what only the tests need: the Cloud Storage emulator and the browser
// driver) from its own lockfile with `npm ci`, unless that very lockfile is installed
// already. Run by `npm test` and `npm run lint` (pretest, prelint), so that a fresh clone's
// `npm ci && npm run demo` installs none of it, and `npm test` stays one command.
'use strict';
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'test-tools');
const lock = path.join(dir, 'package-lock.json');
const stamp = path.join(dir, 'node_modules', '.installed-lock.sha256');

const wanted = createHash('sha256').update(readFileSync(lock)).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) process.exit(0);
console.error('installing test-tools/ (npm ci: firebase-tools, playwright-core) ...');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], {
  cwd: dir,
  stdio: ['ignore', 'inherit', 'inherit'],
});
writeFileSync(stamp, wanted);
