/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }],
    // hyparquet ships ESM only; jest's module loader needs it as CommonJS.
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' }, isolatedModules: true }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-compressors)/)'],
  testTimeout: 120000,
  maxWorkers: 2,
};
