import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

describe("the demo", () => {
  it("runs the seed's three examples on real files and says which backend served them", () => {
    const demo = fileURLToPath(new URL("../dist/demo.js", import.meta.url))
    const result = spawnSync(process.execPath, [demo], { encoding: "utf8", timeout: 30_000 })
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    expect(result.stdout).toContain("backend io_uring")
    expect(result.stdout).toContain("read(-1, 0)    -> 280 chars, the whole file: true")
    expect(result.stdout).toContain(`the file holds "Hello, World!"`)
    expect(result.stdout).toContain("Wrote 5 bytes")
    expect(result.stdout).toContain("read back: [0, 1, 2, 3, 4]")
  })
})
