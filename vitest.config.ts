import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real sockets, child processes and a browser share 2 cores: keep files from starving each other.
    maxConcurrency: 4,
  },
});
