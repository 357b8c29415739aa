// .ci/bun runs vitest on Bun with this config: the thread-pool conformance suite, the very file the
// Node run has (test/threadPool.test.ts), in workers that onBun.ts checks are Bun's. The native
// engines' conformance files are not run here: on Bun their layers fail with
// BackendUnavailableError (program.ts checks that).
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    name: "node on bun",
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/threadPool.test.ts"],
    setupFiles: ["test/bun/onBun.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fakeTimers: { toFake: [] }
  }
})
