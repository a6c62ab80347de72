// Shared jest configuration: every package's jest.config.js calls this with its own folder.
// Tests run against TypeScript sources: `@som/<pkg>` resolves to `packages/<pkg>/src`.
const path = require('node:path');

module.exports = (dir) => ({
  displayName: path.basename(dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@som/([a-z-]+)$': path.join(__dirname, 'packages/$1/src'),
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.jest.json') }],
  },
});
