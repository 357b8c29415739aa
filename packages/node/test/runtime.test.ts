import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"

// .ci/other-nodes runs the tests on each supported Node with AIOFILE_EXPECT_NODE set to its version.
describe("the runtime", () => {
  it("is the node the run asked for, in vitest's worker and in the processes tests spawn", () => {
    const spawned = execFileSync(process.execPath, ["-p", "process.version"], { encoding: "utf8" }).trim()
    console.log(`tests run on Node ${process.version} (${process.execPath})`)
    expect(spawned).toBe(process.version)
    const expected = process.env.AIOFILE_EXPECT_NODE
    if (expected !== undefined) expect(process.version).toBe(expected)
  })
})
