import type * as PlatformError from "@effect/platform/Error"
import * as Either from "effect/Either"
import type { FileMode } from "../FileMode.js"
import { badArgument } from "./aioError.js"

/** @internal */
export const Flags = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_CLOEXEC: 0o2000000
} as const

const creationFlags = {
  r: 0,
  w: Flags.O_CREAT | Flags.O_TRUNC,
  a: Flags.O_CREAT | Flags.O_APPEND,
  x: Flags.O_CREAT | Flags.O_EXCL
} as const

/** @internal */
export const parseMode = (mode: string): Either.Either<FileMode, PlatformError.BadArgument> => {
  const invalid = (why: string) => Either.left(badArgument("parseMode", `invalid mode ${JSON.stringify(mode)}: ${why}`))
  if (typeof mode !== "string") {
    return Either.left(badArgument("parseMode", `mode must be a string, got ${typeof mode}`))
  }
  let kind: keyof typeof creationFlags | undefined
  let plus = false
  let binary: boolean | undefined
  for (const char of mode) {
    switch (char) {
      case "r":
      case "w":
      case "a":
      case "x":
        if (kind !== undefined) return invalid("it must have exactly one of r, w, a, x")
        kind = char
        break
      case "+":
        if (plus) return invalid("it may have at most one +")
        plus = true
        break
      case "b":
      case "t":
        if (binary !== undefined) return invalid("it may have at most one of b, t")
        binary = char === "b"
        break
      default:
        return invalid(`unknown character ${JSON.stringify(char)}`)
    }
  }
  if (kind === undefined) return invalid("it must have exactly one of r, w, a, x")
  const readable = kind === "r" || plus
  const writable = kind !== "r" || plus
  const access = readable && writable ? Flags.O_RDWR : readable ? Flags.O_RDONLY : Flags.O_WRONLY
  return Either.right({
    mode,
    readable,
    writable,
    plus,
    appending: kind === "a",
    created: kind === "x",
    flags: access | creationFlags[kind] | Flags.O_CLOEXEC,
    binary: binary === true
  })
}
