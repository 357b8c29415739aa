/**
 * The compile-time checks of modes and encodings, and the operations each mode's type has. The
 * assertions are types: `pnpm check` (`tsc -b`) fails when one does not hold, and when a line under
 * `@ts-expect-error` compiles. The code that must not compile sits in callbacks of `typesOnly`,
 * which never runs them; what does run checks that the types and the runtime agree.
 */
import { AioContext, AIOFile, FileMode, FileWrapper } from "@effect-aiofile/core"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** Type-checks `check` without running it. */
const typesOnly = (_check: () => unknown): void => {}

/** Every mode `parseMode` accepts, written out: its type must be `FileMode.Mode`. */
const everyMode = [
  ...["r", "w", "a", "x"],
  ...["r+", "w+", "a+", "x+", "+r", "+w", "+a", "+x"],
  ...["rb", "wb", "ab", "xb", "br", "bw", "ba", "bx", "rt", "wt", "at", "xt", "tr", "tw", "ta", "tx"],
  ...["r+b", "w+b", "a+b", "x+b", "r+t", "w+t", "a+t", "x+t"],
  ...["rb+", "wb+", "ab+", "xb+", "rt+", "wt+", "at+", "xt+"],
  ...["+rb", "+wb", "+ab", "+xb", "+rt", "+wt", "+at", "+xt"],
  ...["+br", "+bw", "+ba", "+bx", "+tr", "+tw", "+ta", "+tx"],
  ...["br+", "bw+", "ba+", "bx+", "tr+", "tw+", "ta+", "tx+"],
  ...["b+r", "b+w", "b+a", "b+x", "t+r", "t+w", "t+a", "t+x"]
] as const

/** Every string of at most `maxLength` characters from `alphabet`. */
const stringsOf = (alphabet: string, maxLength: number): Array<string> => {
  let longest = [""]
  const all = [""]
  for (let length = 1; length <= maxLength; length++) {
    longest = longest.flatMap((prefix) => [...alphabet].map((char) => prefix + char))
    all.push(...longest)
  }
  return all
}

describe("FileMode.Mode", () => {
  it("is the set of strings parseMode accepts", () => {
    expectTypeOf<(typeof everyMode)[number]>().toEqualTypeOf<FileMode.Mode>()
    // every string of up to 4 characters from the mode letters, a repeat-prone set and a stranger
    const accepted = stringsOf("rwax+btR", 4).filter((mode) => Either.isRight(FileMode.parseMode(mode)))
    expect(new Set(accepted)).toEqual(new Set(everyMode))
    expect(accepted).toHaveLength(76)
  })

  it("a mode literal outside Mode does not compile; a string known only at run time does", () => {
    typesOnly(() => {
      // @ts-expect-error "rw" has two of r, w, a, x
      AIOFile.open("f", "rw")
      // @ts-expect-error "rbt" has both b and t
      AIOFile.make("f", "rbt")
      // @ts-expect-error the empty string has none of r, w, a, x
      AIOFile.open("f", "")
      // @ts-expect-error modes are lowercase
      AIOFile.open("f", "R")
      // @ts-expect-error "r++" has two +
      FileWrapper.open("f", "r++")
      // @ts-expect-error "wx" is Node's flag, not a mode
      AIOFile.fromFd(3, { mode: "wx" })
      // @ts-expect-error a union of literals is checked member by member
      AIOFile.open("f", Math.random() > 0.5 ? "r" : "rw")
      class Bad extends Context.Tag("Bad")<Bad, AIOFile.AIOFile<string>>() {}
      // @ts-expect-error the layer's mode is checked too
      AIOFile.layer(Bad, "f", "rw+")

      const fromConfig: string = process.env.MODE ?? "r"
      AIOFile.open("f", fromConfig)
      FileWrapper.open("f", fromConfig)
      AIOFile.fromFd(3, { mode: fromConfig })
    })
  })
})

describe("AIOFile.Encoding", () => {
  it("names the supported encodings; another name does not compile", () => {
    expectTypeOf<AIOFile.Encoding>().toEqualTypeOf<
      | "utf-8"
      | "utf-16le"
      | "latin1"
      | "ascii"
      | "utf8"
      | "utf16le"
      | "utf-16-le"
      | "iso-8859-1"
      | "latin-1"
      | "us-ascii"
    >()
    expectTypeOf<AIOFile.AIOFile["encoding"]>().toEqualTypeOf<AIOFile.CanonicalEncoding>()
    expectTypeOf<AIOFile.CanonicalEncoding>().toEqualTypeOf<"utf-8" | "utf-16le" | "latin1" | "ascii">()
    typesOnly(() => {
      AIOFile.open("f", "r", { encoding: "latin-1" })
      AIOFile.readFileString("f", { encoding: "utf-16le" })
      // @ts-expect-error no such encoding
      AIOFile.open("f", "r", { encoding: "klingon" })
      // @ts-expect-error the type takes the lowercase names (the run time takes any case)
      AIOFile.writeFile("f", "x", { encoding: "UTF-8" })
      const fromConfig: string = process.env.ENCODING ?? "utf-8"
      // @ts-expect-error a string known only at run time is checked first, or cast
      AIOFile.open("f", "r", { encoding: fromConfig })
      AIOFile.open("f", "r", { encoding: fromConfig as AIOFile.Encoding })
    })
  })

  it.effect("every name of encodings opens a file, in any case", () =>
    Effect.gen(function*() {
      // a Record over Encoding must name every one of them
      const canonical: Record<AIOFile.Encoding, AIOFile.CanonicalEncoding> = {
        "utf-8": "utf-8",
        "utf-16le": "utf-16le",
        "latin1": "latin1",
        "ascii": "ascii",
        "utf8": "utf-8",
        "utf16le": "utf-16le",
        "utf-16-le": "utf-16le",
        "iso-8859-1": "latin1",
        "latin-1": "latin1",
        "us-ascii": "ascii"
      }
      expect(new Set(AIOFile.encodings)).toEqual(new Set(Object.keys(canonical)))
      for (const encoding of AIOFile.encodings) {
        const file = yield* AIOFile.make("/tmp/types-encoding", "w", { encoding })
        expect(file.encoding).toBe(canonical[encoding])
        const upper = yield* AIOFile.make("/tmp/types-encoding", "w", {
          encoding: encoding.toUpperCase() as AIOFile.Encoding
        })
        expect(upper.encoding).toBe(canonical[encoding])
      }
      // a name known only at run time, checked the Effect way
      const EncodingFromConfig = Schema.Literal(...AIOFile.encodings)
      expectTypeOf(Schema.decodeUnknownEither(EncodingFromConfig)).returns.toEqualTypeOf<
        Either.Either<AIOFile.Encoding, ParseResult.ParseError>
      >()
      expect(Schema.decodeUnknownEither(EncodingFromConfig)("utf8")).toEqual(Either.right("utf8"))
      expect(Either.isLeft(Schema.decodeUnknownEither(EncodingFromConfig)("klingon"))).toBe(true)
      // a name from Object.prototype is no encoding
      const error = yield* Effect.flip(AIOFile.make("f", "r", { encoding: "toString" as AIOFile.Encoding }))
      expect(error).toMatchObject({ _tag: "BadArgument" })
    }).pipe(Effect.provide(AioContext.layerMemory())))
})
