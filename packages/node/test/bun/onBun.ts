// vitest's setup file in .ci/bun's run (vitest.config.ts here): every test file's worker must be
// Bun, or the run would only have run the suite on Node again.
import { beforeAll } from "vitest"

beforeAll(() => {
  if (process.versions.bun === undefined) {
    throw new Error(`this run is for Bun, and its worker is ${process.execPath} (Node ${process.versions.node})`)
  }
  console.log(`vitest worker on Bun ${process.versions.bun} (${process.execPath})`)
})
