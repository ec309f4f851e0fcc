import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const REPO = fileURLToPath(new URL('.', import.meta.url))

/**
 * Tests that load the whole machine (200 concurrent clients, a 1 GB transfer
 * between processes, CPU measured per node process) run after the others,
 * one file at a time: beside each other on two cores they starved the
 * servers under test into connection errors that no user would see.
 */
const HEAVY = ['tests/region/load.test.ts', 'tests/region/large-files.test.ts', 'tests/region/query-load.test.ts']

export default defineConfig({
  // Tests run the TypeScript sources of the workspace packages (the CLI tests spawn the built ones).
  resolve: {
    alias: [
      { find: /^@swf\/protocol$/, replacement: `${REPO}protocol/src/index.ts` },
      { find: /^@swf\/(protocol|node|registry)\/(.+)$/, replacement: `${REPO}$1/src/$2.ts` }
    ]
  },
  test: {
    // libp2p 3 needs Promise.withResolvers, which Node 20 lacks.
    setupFiles: ['protocol/src/polyfills.ts'],
    // Sums and prints what the reliability tests tried (tests/helpers/tally.ts).
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'main', include: ['tests/**/*.test.ts'], exclude: HEAVY, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'heavy', include: HEAVY, fileParallelism: false, sequence: { groupOrder: 1 } } }
    ]
  }
})
