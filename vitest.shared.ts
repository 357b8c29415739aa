import type { ViteUserConfig } from "vitest/config"

/** What every package's test project shares. */
export const shared: ViteUserConfig = {
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fakeTimers: { toFake: [] }
  }
}
