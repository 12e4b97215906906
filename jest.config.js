/** One Temporal dev server for the whole run (global setup); test files run one at a time (real sshd, real ports). */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // @noble/curves and @noble/hashes ship ES modules only; jest loads CommonJS (the worker bundle and tsx need none).
    '/node_modules/@noble/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/after-suite.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
