// Root jest configuration: one project per package plus the cross-package end-to-end tests.
const fs = require('node:fs');
const path = require('node:path');

const packages = fs
  .readdirSync(path.join(__dirname, 'packages'))
  .map((name) => path.join(__dirname, 'packages', name))
  .filter((dir) => fs.existsSync(path.join(dir, 'jest.config.js')));

module.exports = {
  projects: [...packages, path.join(__dirname, 'test')],
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/unsupported-reporter.js'],
};
