// Root jest configuration: one project per package plus the cross-package end-to-end tests.
// Test tiers: `*.test.ts` unit (no server, no Debian package or file, no build),
// `*.server.test.ts` against a real server, a Debian tool or file, or built output, and
// `test/*.e2e.test.ts` through the `som` command. SOM_TESTS=unit (`npm run test:unit`)
// runs the unit tier alone.
const fs = require('node:fs');
const path = require('node:path');

const packages = fs
  .readdirSync(path.join(__dirname, 'packages'))
  .map((name) => path.join(__dirname, 'packages', name))
  .filter((dir) => fs.existsSync(path.join(dir, 'jest.config.js')));

// pydicom/deid's recipes, which the recipe tests read unedited, are in the project's shared
// data beside the repository, not in it: found once here (SOM_SHARED, else ../shared, else
// /work/shared) for every test process.
const shared = [process.env.SOM_SHARED, path.join(__dirname, '..', 'shared'), '/work/shared'].find(
  (dir) => dir !== undefined && fs.existsSync(path.join(dir, 'data', 'deid-recipes')),
);
if (shared !== undefined) process.env.SOM_SHARED = shared;

module.exports = {
  projects:
    process.env.SOM_TESTS === 'unit' ? packages : [...packages, path.join(__dirname, 'test')],
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/unsupported-reporter.js'],
};
