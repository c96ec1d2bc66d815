module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  setupFilesAfterEnv: ['<rootDir>/tests/helpers/setup.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin'],
  testTimeout: 10000,
};
