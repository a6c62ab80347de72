// Shared jest configuration: every package's jest.config.js calls this with its own folder.
// Tests run against TypeScript sources: `@som/<pkg>` resolves to `packages/<pkg>/src`, and an
// entry point `@som/<pkg>/<entry>` to `packages/<pkg>/src/<entry>.ts`.
const path = require('node:path');

module.exports = (dir) => ({
  displayName: path.basename(dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    // The unit tier (SOM_TESTS=unit) leaves out the tests that need a server, a Debian file or a build.
    ...(process.env.SOM_TESTS === 'unit' ? ['\\.server\\.test\\.ts$'] : []),
  ],
  moduleNameMapper: {
    '^@som/([a-z-]+)$': path.join(__dirname, 'packages/$1/src'),
    '^@som/([a-z-]+)/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/$2'),
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.jest.json') }],
  },
});
