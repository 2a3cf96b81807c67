// Tests are named by kind: *.unit.spec.ts (no engine), *.int.spec.ts (a real engine),
// *.e2e.spec.ts (the whole stack through the gateway). All run in one `npm test`, except
// test/cluster/*.cluster.spec.ts (engine clusters of their own, a few minutes each): `npm run test:cluster`.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: process.env.SIGHTLINE_CLUSTER_TESTS === '1' ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023' } }] },
  testTimeout: 60000,
  // Engines are shared by all test files; two workers match the two cores.
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/support/env.ts'],
};
