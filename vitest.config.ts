import { defineConfig } from 'vitest/config';

// Test level lives in the file name: *.unit.spec.ts (pure, no I/O), *.int.spec.ts (real servers).
// The EventStoreDB contract run needs a real server and is included only where EVENTSTORE_URL is set.
const esdbSpecs = '**/*.esdb.int.spec.ts';
if (!process.env.EVENTSTORE_URL) {
  process.stderr.write('proofline: EventStoreDB contract suite not run here (EVENTSTORE_URL is not set)\n');
}

export default defineConfig({
  test: {
    // Two files at a time even on a 2-core machine (the default would be one): the integration specs spend most
    // of their time waiting on servers and child processes, so two share the cores without starving each other.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['**/*.unit.spec.ts'], exclude: ['node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'int',
          globalSetup: ['./infra/testing/global-setup.ts'],
          include: ['**/*.int.spec.ts'],
          exclude: ['node_modules/**', ...(process.env.EVENTSTORE_URL ? [] : [esdbSpecs])],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
