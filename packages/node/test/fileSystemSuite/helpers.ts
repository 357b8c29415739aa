import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import { expect, type Vitest } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"

/** A FileSystem the suite runs on. */
export interface Target {
  readonly name: string
  readonly layer: Layer.Layer<FileSystem.FileSystem>
  /**
   * NodeFileSystem itself: where it dies or guesses on bad input, AioFileSystem answers
   * BadArgument (README, "With @effect/platform"); the suite checks what each one does.
   */
  readonly node: boolean
  /**
   * The memory backend: its files are not the host's (there is no /proc), and it knows of an entry
   * only its type and size (no permissions, times, inode).
   */
  readonly memory: boolean
}

/** The suite's `it.effect` on a target. */
export const testOn =
  (_target: Target, it: Vitest.MethodsNonLive<FileSystem.FileSystem>): Vitest.Test<FileSystem.FileSystem> =>
  (name, self, timeout) => it.effect(name, self, timeout)

/**
 * Byte equality without vitest's element-by-element diff (seconds per MiB): the lengths, then the
 * first offset that differs.
 */
export const expectBytes = (actual: Uint8Array, expected: Uint8Array) => {
  expect(actual.length).toBe(expected.length)
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
  if (!a.equals(b)) {
    let at = 0
    while (a[at] === b[at]) at++
    expect({ offset: at, byte: a[at] }).toEqual({ offset: at, byte: b[at] })
  }
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (data: Uint8Array): string => new TextDecoder().decode(data)

/** Deterministic bytes that differ at every offset modulo 251, so a misplaced chunk shows. */
export const pattern = (size: number, seed = 0): Uint8Array => {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i + seed) % 251
  return out
}

/** Runs `f` with the FileSystem and a fresh temporary directory, removed afterwards. */
export const withDir = <A, E>(
  f: (fs: FileSystem.FileSystem, dir: string) => Effect.Effect<A, E, Scope.Scope>
): Effect.Effect<A, E | PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.scoped(
    Effect.flatMap(FileSystem.FileSystem, (fs) => Effect.flatMap(fs.makeTempDirectoryScoped(), (dir) => f(fs, dir)))
  )

/** The value of a `Some` (failing the test on `None`), decoded. */
export const someText = (option: Option.Option<Uint8Array>): string => {
  expect(Option.isSome(option)).toBe(true)
  return Option.isSome(option) ? text(option.value) : ""
}

/** Checks a SystemError's fields, the errno name in its cause when given. */
export const expectSystemError = (
  error: unknown,
  expected: {
    readonly reason: PlatformError.SystemErrorReason
    readonly method: string
    readonly pathOrDescriptor?: string | number
    readonly code?: string
  }
) => {
  const actual = error as PlatformError.SystemError
  expect(actual._tag).toBe("SystemError")
  expect({ reason: actual.reason, module: actual.module, method: actual.method }).toEqual({
    reason: expected.reason,
    module: "FileSystem",
    method: expected.method
  })
  if (expected.pathOrDescriptor !== undefined) expect(actual.pathOrDescriptor).toBe(expected.pathOrDescriptor)
  if (expected.code !== undefined) expect((actual.cause as { code?: unknown } | undefined)?.code).toBe(expected.code)
}

export const expectBadArgument = (error: unknown, method: string) => {
  const actual = error as PlatformError.BadArgument
  expect({ tag: actual._tag, module: actual.module, method: actual.method }).toEqual({
    tag: "BadArgument",
    module: "FileSystem",
    method
  })
}

/** How an Effect ended: its failure, "die" for a defect, or its value. */
export const outcome = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(
    Effect.exit(effect),
    (exit): { readonly failure: E } | { readonly value: A } | "die" =>
      Exit.isSuccess(exit)
        ? { value: exit.value }
        : Cause.isDie(exit.cause)
        ? "die"
        : { failure: Option.getOrThrow(Cause.failureOption(exit.cause)) }
  )
