/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // hyparquet ships ESM only; jest's module loader needs it as CommonJS.
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  // @dsnp/parquetjs -> thrift -> uuid@13 is ESM only (nested under thrift/node_modules).
  transformIgnorePatterns: [
    '/node_modules/(?!(hyparquet|hyparquet-compressors|hyparquet-writer|hysnappy|uuid)/)(?!thrift/node_modules/uuid/)',
  ],
  testTimeout: 120000,
  maxWorkers: 2,
};
