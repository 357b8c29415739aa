import type { AioContext } from "@effect-aiofile/core"
import { AioError, AIOFile } from "@effect-aiofile/core"
import { NativeAioContext } from "@effect-aiofile/native"
import { NodeAioContext } from "@effect-aiofile/node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

/** A real full disk: a 1 MiB tmpfs. Mounting needs root, which this project's machines and CI have. */
const disk = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-full-disk-"))
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]).status === 0
afterAll(() => {
  if (mounted) spawnSync("umount", [disk])
  fs.rmSync(disk, { recursive: true, force: true })
})

const backends: ReadonlyArray<readonly [string, () => Layer.Layer<AioContext.AioContext, unknown>]> = [
  ["thread", () => NodeAioContext.layerThreadPool()],
  ["io_uring", () => NativeAioContext.layerUring()],
  ["linux-aio", () => NativeAioContext.layerLinuxAio()]
]

describe("a full disk", () => {
  for (const [name, layer] of backends) {
    // Skipped only where a tmpfs cannot be mounted (not root): there is no real full disk to write to.
    it.effect.skipIf(!mounted)(
      `${name}: a write past the space left fails with ENOSPC and loses nothing`,
      () =>
        Effect.gen(function*() {
          const file = yield* AIOFile.open(path.join(disk, `${name}.bin`), "w+b")
          const kept = new Uint8Array(256 * 1024).fill(7)
          expect(yield* file.writeBytes(kept, 0)).toBe(kept.length)
          const error = yield* Effect.flip(file.writeBytes(new Uint8Array(2 * 1024 * 1024).fill(9), kept.length))
          expect(error).toMatchObject({ _tag: "SystemError", method: "writeBytes" })
          expect(AioError.errnoCode(error)).toEqual(Option.some("ENOSPC"))
          expect(yield* file.readBytes(kept.length, 0)).toEqual(kept)
          yield* file.truncate(0)
        }).pipe(Effect.scoped, Effect.provide(layer()))
    )
  }
})
