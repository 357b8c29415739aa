import { FileMode } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"

const { O_APPEND, O_CLOEXEC, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } = FileMode.Flags

describe("FileMode.parseMode", () => {
  it.each(
    [
      [
        "r",
        { readable: true, writable: false, plus: false, appending: false, created: false, binary: false },
        O_RDONLY
      ],
      ["rb", { readable: true, writable: false, binary: true }, O_RDONLY],
      ["r+", { readable: true, writable: true, plus: true }, O_RDWR],
      ["w", { readable: false, writable: true }, O_WRONLY | O_CREAT | O_TRUNC],
      ["wb+", { readable: true, writable: true, binary: true }, O_RDWR | O_CREAT | O_TRUNC],
      ["a", { readable: false, writable: true, appending: true }, O_WRONLY | O_CREAT | O_APPEND],
      ["a+b", { readable: true, writable: true, appending: true }, O_RDWR | O_CREAT | O_APPEND],
      ["x", { writable: true, created: true }, O_WRONLY | O_CREAT | O_EXCL],
      ["bx+", { readable: true, writable: true, created: true, binary: true }, O_RDWR | O_CREAT | O_EXCL],
      ["rt", { readable: true, binary: false }, O_RDONLY]
    ] as const
  )("%s", (mode, fields, flags) => {
    const parsed = Either.getOrThrow(FileMode.parseMode(mode))
    expect(parsed).toMatchObject({ mode, ...fields })
    expect(parsed.flags).toBe(flags | O_CLOEXEC)
  })

  it.each(["rw", "wx", "", "rr+", "q", "rbt", "ra", "xa", "xw", "rr", "r++", "bb", "R", " r", "r\0"])(
    "refuses %j with a BadArgument naming it",
    (mode) => {
      const error = Either.getLeft(FileMode.parseMode(mode))
      expect(error._tag).toBe("Some")
      if (error._tag === "Some") {
        expect(error.value._tag).toBe("BadArgument")
        expect(error.value.message).toContain(JSON.stringify(mode))
      }
    }
  )

  it("refuses a value that is not a string", () => {
    expect(Either.isLeft(FileMode.parseMode(42 as unknown as string))).toBe(true)
  })
})
