import { AioContext, AIOFile } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

/**
 * The codecs decode through node:buffer's isUtf8/isAscii/transcode/latin1Slice when the runtime has
 * them: they must answer as TextDecoder (fatal, BOM kept) and the byte-by-byte definitions do, on
 * every length (transcode from 1 KiB) and on views into a larger buffer.
 * Checked by breaking it: decoding UTF-8 without isUtf8 failed the InvalidData cases.
 */
describe("decoding", () => {
  /** A deterministic pseudo-random source (xorshift32). */
  const random = (seed: number) => () => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 2 ** 32
  }
  const pieces = ["a", "é", "한", "😀", "\ufeff", "\n", "x".repeat(700), "\u0a0a"].map((text) =>
    new TextEncoder().encode(text)
  )
  const bad = [[0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]

  /** Mostly well-formed UTF-8 of about `length` bytes, with a bad sequence one time in `badOneIn`. */
  const sample = (next: () => number, length: number, badOneIn: number): Uint8Array => {
    const out: Array<number> = []
    while (out.length < length) {
      if (next() * badOneIn < 1) out.push(...bad[Math.floor(next() * bad.length)]!)
      else out.push(...pieces[Math.floor(next() * pieces.length)]!)
    }
    return Uint8Array.from(out)
  }

  it.effect("UTF-8 decodes as a fatal TextDecoder does, short and long, whole and in views", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.make("/tmp/decode", "r")
      const reference = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      const next = random(14)
      let failures = 0
      for (let i = 0; i < 600; i++) {
        const length = [10, 900, 1023, 1024, 5000][i % 5]!
        const whole = sample(next, length + 8, [2, 40, 100000][i % 3]!)
        const view = whole.subarray(i % 5, whole.length - (i % 3))
        let expected: string | undefined
        try {
          expected = reference.decode(view)
        } catch {
          expected = undefined
        }
        const got = file.decodeBytes(view)
        if (expected === undefined) {
          failures++
          expect(Either.isLeft(got)).toBe(true)
          if (Either.isLeft(got)) expect(got.left.reason).toBe("InvalidData")
        } else {
          expect(got).toEqual(Either.right(expected))
        }
      }
      // both kinds were met
      expect(failures).toBeGreaterThan(100)
      expect(failures).toBeLessThan(500)
    }).pipe(Effect.provide(AioContext.layerMemory())))

  it.effect("latin1 is one character per byte; ascii fails on a byte above 0x7f", () =>
    Effect.gen(function*() {
      const latin1 = yield* AIOFile.make("/tmp/decode", "r", { encoding: "latin1" })
      const ascii = yield* AIOFile.make("/tmp/decode", "r", { encoding: "ascii" })
      const all = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256)
      for (const view of [all, all.subarray(5, 17), all.subarray(1, 2999)]) {
        expect(latin1.decodeBytes(view)).toEqual(Either.right(String.fromCharCode(...view)))
        expect(Either.isLeft(ascii.decodeBytes(view))).toBe(view.some((byte) => byte > 0x7f))
        const low = view.map((byte) => byte & 0x7f)
        expect(ascii.decodeBytes(low)).toEqual(Either.right(String.fromCharCode(...low)))
      }
    }).pipe(Effect.provide(AioContext.layerMemory())))
})
