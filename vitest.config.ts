import { defineConfig } from 'vitest/config'

/**
 * Tests that load the whole machine (200 concurrent clients, a 1 GB transfer
 * between processes, CPU measured per node process) run after the others,
 * one file at a time: beside each other on two cores they starved the
 * servers under test into connection errors that no user would see.
 */
const HEAVY = [
  'tests/region/load.test.ts',
  'tests/region/large-files.test.ts',
  'tests/region/query-load.test.ts',
  'tests/region/regional-view-load.test.ts'
]

export default defineConfig({
  // Tests run the TypeScript sources of the workspace packages (the CLI tests spawn the built ones),
  // through the same `swf-source` condition of their package.json exports as tsc; then Vite's defaults.
  ssr: { resolve: { conditions: ['swf-source', 'module', 'node', 'development|production'] } },
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
