// Cross-package end-to-end tests (the real `som` binary, several packages together).
const preset = require('../jest.preset.js')(__dirname);

module.exports = { ...preset, displayName: 'e2e', testMatch: ['<rootDir>/**/*.test.ts'] };
