import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as AIOFile from "../AIOFile.js"
import type { Options } from "../Conformance.js"
import { faultModelTests } from "./conformanceFaultModel.js"
import type { Fixture } from "./conformanceFixture.js"

// The model-based tests of the suite: random sequences checked against a plain in-memory model,
// and the same under faults (conformanceFaultModel.ts).

type Command =
  | { readonly op: "write"; readonly file: number; readonly offset: number; readonly data: Uint8Array }
  | { readonly op: "read"; readonly file: number; readonly offset: number; readonly size: number }
  | { readonly op: "truncate"; readonly file: number; readonly length: number }
  | { readonly op: "fsync"; readonly file: number }

const MODEL_FILES = 3
const commandArbitrary: FastCheck.Arbitrary<Command> = FastCheck.oneof(
  FastCheck.record({
    op: FastCheck.constant("write" as const),
    file: FastCheck.nat(MODEL_FILES - 1),
    offset: FastCheck.oneof(FastCheck.nat(256), FastCheck.nat(70_000)),
    data: FastCheck.uint8Array({ minLength: 0, maxLength: 9000 })
  }),
  FastCheck.record({
    op: FastCheck.constant("read" as const),
    file: FastCheck.nat(MODEL_FILES - 1),
    offset: FastCheck.oneof(FastCheck.nat(256), FastCheck.nat(80_000)),
    size: FastCheck.oneof(FastCheck.constant(-1), FastCheck.nat(10_000))
  }),
  FastCheck.record({
    op: FastCheck.constant("truncate" as const),
    file: FastCheck.nat(MODEL_FILES - 1),
    length: FastCheck.oneof(FastCheck.nat(512), FastCheck.nat(80_000))
  }),
  FastCheck.record({ op: FastCheck.constant("fsync" as const), file: FastCheck.nat(MODEL_FILES - 1) })
)

/** The plain model of a file: its bytes. */
const modelWrite = (model: Uint8Array, offset: number, data: Uint8Array): Uint8Array => {
  if (data.length === 0) return model
  const next = new Uint8Array(Math.max(model.length, offset + data.length))
  next.set(model)
  next.set(data, offset)
  return next
}

const modelTruncate = (model: Uint8Array, length: number): Uint8Array => {
  const next = new Uint8Array(length)
  next.set(model.subarray(0, length))
  return next
}

const modelRead = (model: Uint8Array, offset: number, size: number): Uint8Array =>
  model.slice(Math.min(offset, model.length), size === -1 ? model.length : Math.min(model.length, offset + size))

/** Compares bytes quickly and reports the first difference (deep equality is slow on large arrays). */
const expectBytes = (actual: Uint8Array, expected: Uint8Array, what: string) => {
  let at = 0
  const length = Math.min(actual.length, expected.length)
  while (at < length && actual[at] === expected[at]) at++
  if (at < length || actual.length !== expected.length) {
    expect.fail(
      `${what}: got ${actual.length} bytes, expected ${expected.length}; first difference at byte ${at} ` +
        `(got ${actual[at]}, expected ${expected[at]})`
    )
  }
}

const defaultModelRuns = (): number => {
  const fromEnv = Number(globalThis.process?.env?.AIOFILE_MODEL_RUNS)
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 200
}

/** @internal */
export const modelTests = ({ fresh, it, ...fixture }: Fixture, name: string, options: Options): void => {
  faultModelTests({ fresh, it, ...fixture }, { name, runs: options.faultModelRuns })

  describe("model", () => {
    it.effect.prop(
      "random writeBytes/readBytes/truncate/fsync sequences match a plain in-memory model",
      [FastCheck.array(commandArbitrary, { minLength: 1, maxLength: 24 })],
      ([commands]) =>
        Effect.gen(function*() {
          const files = yield* Effect.forEach(
            Array.from({ length: MODEL_FILES }, () => fresh("model")),
            (path) => AIOFile.open(path, "w+b")
          )
          const models: Array<Uint8Array> = files.map(() => new Uint8Array(0))
          for (const command of commands) {
            const file = files[command.file]!
            switch (command.op) {
              case "write":
                expect(yield* file.writeBytes(command.data, command.offset)).toBe(command.data.length)
                models[command.file] = modelWrite(models[command.file]!, command.offset, command.data)
                break
              case "read":
                expectBytes(
                  yield* file.readBytes(command.size, command.offset),
                  modelRead(models[command.file]!, command.offset, command.size),
                  `readBytes(${command.size}, ${command.offset}) of file ${command.file}`
                )
                break
              case "truncate":
                yield* file.truncate(command.length)
                models[command.file] = modelTruncate(models[command.file]!, command.length)
                break
              case "fsync":
                yield* file.fsync
                break
            }
          }
          for (let i = 0; i < files.length; i++) {
            expectBytes(yield* files[i]!.readBytes(), models[i]!, `the whole of file ${i} at the end`)
          }
        }).pipe(Effect.scoped),
      { fastCheck: { numRuns: options.modelRuns ?? defaultModelRuns() } }
    )
  })
}
