import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'gateway/**/*.test.ts', 'camera-adapters/**/*.test.ts'],
    globalSetup: ['./test/helpers/global-setup.ts'],
    // Two cores: two test files at a time.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
