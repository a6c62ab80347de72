#!/usr/bin/env node
// The `som` command as npm links it: present before the build (so `npm ci` links it),
// it runs the built command in dist/.
'use strict';
try {
  require.resolve('../dist/bin/som.js');
} catch {
  process.stderr.write('som: not built yet: run `npm run build` at the repository root\n');
  process.exit(2);
}
require('../dist/bin/som.js');
