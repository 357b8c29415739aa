// AioDirect on the kernel backends: O_DIRECT round trips with aligned memory, misalignment refused
// before any I/O, advice, fallocate (allocate, keepSize, punch hole), durable writes, and the file
// systems that refuse O_DIRECT. Each test was checked by breaking the code once (noted beside it).
import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioDirect from "@effect-aiofile/core/AioDirect"
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

// the temporary directory must be on a disk for O_DIRECT to mean anything (tmpfs is tested apart)
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-direct-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const { O_CREAT, O_DIRECT, O_RDONLY, O_RDWR } = fs.constants
const KiB = 1024

const capability = Effect.gen(function*() {
  const context = yield* AioContext.AioContext
  const direct = AioDirect.fromContext(context)
  if (direct === undefined) return yield* Effect.dieMessage("no AioDirect on this layer")
  return { context, direct }
})

const pattern = (buffer: Uint8Array, seed: number) => {
  for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 31 + seed) & 0xff
  return buffer
}

/** What an error says: a BadArgument's or SystemError's description. */
const text = (error: { readonly message: string }): string =>
  String((error as { readonly description?: unknown }).description ?? error.message)

const kernelAtLeast = (major: number, minor: number) => {
  const [a, b] = os.release().split(".").map(Number) as [number, number]
  return a > major || (a === major && b >= minor)
}

const layers = [["io_uring", NativeAioContext.layerUring], ["linux-aio", NativeAioContext.layerLinuxAio]] as const

for (const [backend, layer] of layers) {
  describe(`AioDirect: ${backend}`, () => {
    it.effect("the layer offers the capability, with the host's O_DIRECT as its open flag", () =>
      Effect.gen(function*() {
        const { direct } = yield* capability
        expect(direct.openFlag).toBe(O_DIRECT)
      }).pipe(Effect.provide(layer())))

    // broken once: AllocateAligned ignoring the alignment (malloc) -> the address check failed
    it.effect("direct reads and writes round-trip through aligned memory", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-roundtrip.bin`)
        const fd = yield* context.open(file, O_RDWR | O_CREAT | direct.openFlag, 0o644)
        const alignment = yield* direct.alignment(fd)
        expect(alignment.direct).toBe(true)
        expect(alignment.memory).toBeGreaterThan(0)
        expect(alignment.offset % 512).toBe(0)
        const data = pattern(yield* direct.allocateAligned(64 * KiB, alignment.memory), 7)
        expect(yield* context.write(fd, data, 4 * alignment.offset)).toBe(64 * KiB)
        const back = yield* direct.allocateAligned(64 * KiB, alignment.memory)
        expect(yield* context.read(fd, back, 4 * alignment.offset)).toBe(64 * KiB)
        expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
        // the bytes are in the file, as a buffered reader sees them
        expect(fs.readFileSync(file).subarray(4 * alignment.offset).equals(Buffer.from(data))).toBe(true)
        // a direct read that meets the end of the file comes back short, in one result
        const tail = yield* direct.allocateAligned(128 * KiB, alignment.memory)
        expect(yield* context.read(fd, tail, 4 * alignment.offset)).toBe(64 * KiB)
        yield* context.close(fd)
      }).pipe(Effect.provide(layer())))

    // broken once: CheckDirect returning at once -> the kernel's EINVAL (a SystemError) instead
    it.effect("a misaligned buffer, offset or length on a direct descriptor is a BadArgument naming the alignment, before any I/O", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-misaligned.bin`)
        fs.writeFileSync(file, Buffer.alloc(8 * KiB, 1))
        const fd = yield* context.open(file, O_RDWR | direct.openFlag, 0)
        const { memory, offset } = yield* direct.alignment(fd)
        const big = yield* direct.allocateAligned(16 * KiB, 4096)
        const cases = [
          ["read", () => context.read(fd, big.subarray(memory === 1 ? 0 : 1, 4 * KiB + 1), 0), "buffer's address"],
          ["read", () => context.read(fd, big.subarray(0, 4 * KiB), offset + 1), "the offset"],
          ["read", () => context.read(fd, big.subarray(0, offset + 1), 0), "the length"],
          ["write", () => context.write(fd, big.subarray(0, 4 * KiB), 1024 * KiB + 1), "the offset"],
          ["writeDurable", () => direct.writeDurable(fd, big.subarray(0, 100), 0), "the length"]
        ] as const
        for (const [method, run, what] of cases) {
          const error = yield* Effect.flip(run())
          expect(error._tag, method).toBe("BadArgument")
          expect(text(error)).toContain(`aligned to ${memory} bytes`)
          expect(text(error)).toContain(`${offset} bytes`)
          expect(text(error)).toContain(what)
        }
        // nothing reached the file: the write past its end did not grow it
        expect(fs.statSync(file).size).toBe(8 * KiB)
        yield* context.close(fd)
      }).pipe(Effect.provide(layer())))

    // broken once: alignment() not registering the descriptor -> the misaligned read was the
    // kernel's EINVAL (a SystemError), and readCached below answered EAGAIN
    it.effect("a direct descriptor from elsewhere (AIOFile.fromFd) is checked once its alignment was asked", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-fromfd.bin`)
        fs.writeFileSync(file, Buffer.alloc(8 * KiB, 2))
        const fd = fs.openSync(file, O_RDONLY | O_DIRECT)
        const alignment = yield* direct.alignment(fd)
        expect(alignment.direct).toBe(true)
        const aligned = yield* direct.allocateAligned(4 * KiB, alignment.memory)
        expect(yield* context.read(fd, aligned, 0)).toBe(4 * KiB)
        expect(aligned.every((b) => b === 2)).toBe(true)
        const error = yield* Effect.flip(context.read(fd, aligned, 3))
        expect(error._tag).toBe("BadArgument")
        fs.closeSync(fd)
      }).pipe(Effect.provide(layer())))

    // broken once: alignment() reporting every descriptor as direct -> direct was true
    it.effect("a buffered descriptor reports the alignment a direct open would need, and is not checked", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-buffered.bin`)
        fs.writeFileSync(file, Buffer.alloc(100, 3))
        const fd = yield* context.open(file, O_RDONLY, 0)
        const alignment = yield* direct.alignment(fd)
        expect(alignment.direct).toBe(false)
        expect(yield* context.read(fd, new Uint8Array(7), 3)).toBe(7)
        yield* context.close(fd)
      }).pipe(Effect.provide(layer())))

    // broken once: the advice number off by one (ADVICE.noReuse = 6) -> the engine's range check
    // refused it (BadArgument)
    it.effect("every advice is accepted; unknown advice and bad ranges are BadArgument", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-advise.bin`)
        fs.writeFileSync(file, Buffer.alloc(64 * KiB, 4))
        const fd = yield* context.open(file, O_RDONLY, 0)
        for (const advice of Object.keys(AioDirect.ADVICE) as Array<AioDirect.Advice>) {
          yield* direct.advise(fd, 0, 0, advice)
          yield* direct.advise(fd, 4096, 8192, advice)
        }
        // a range over 4 GiB (io_uring before 6.11 takes 32 bits: it runs on a thread)
        yield* direct.advise(fd, 0, 2 ** 33, "random")
        const bad = yield* Effect.flip(direct.advise(fd, 0, 0, "sideways" as AioDirect.Advice))
        expect(bad._tag).toBe("BadArgument")
        expect(text(bad)).toContain("\"random\"")
        expect((yield* Effect.flip(direct.advise(fd, -1, 0, "random")))._tag).toBe("BadArgument")
        expect(text(yield* Effect.flip(direct.advise(fd, 0, 2 ** 60, "random")))).toContain("MAX_SAFE_INTEGER")
        const closed = yield* Effect.flip(direct.advise(1_000_000, 0, 0, "random"))
        expect(closed._tag).toBe("SystemError")
        yield* context.close(fd)
      }).pipe(Effect.provide(layer())))

    // broken once each: the ring's FALLOCATE with len and addr swapped -> io_uring's case failed;
    // deallocate with mode KEEP_SIZE only (no PUNCH_HOLE) -> the bytes stayed 0xff on both
    it.effect("allocate grows the allocated blocks, keepSize keeps the size, a punched hole reads as zeros", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-fallocate.bin`)
        const fd = yield* context.open(file, O_RDWR | O_CREAT, 0o644)
        yield* context.truncate(fd, 0)
        yield* direct.allocate(fd, 0, 1024 * KiB)
        const grown = fs.statSync(file)
        expect(grown.size).toBe(1024 * KiB)
        expect(grown.blocks * 512).toBeGreaterThanOrEqual(1024 * KiB)
        yield* direct.allocate(fd, 1024 * KiB, 1024 * KiB, { keepSize: true })
        const kept = fs.statSync(file)
        expect(kept.size).toBe(1024 * KiB)
        expect(kept.blocks * 512).toBeGreaterThanOrEqual(2048 * KiB)

        const ones = new Uint8Array(64 * KiB).fill(0xff)
        expect(yield* context.write(fd, ones, 0)).toBe(64 * KiB)
        yield* context.fdatasync(fd)
        const before = fs.statSync(file).blocks
        yield* direct.deallocate(fd, 16 * KiB, 16 * KiB)
        const back = new Uint8Array(64 * KiB)
        expect(yield* context.read(fd, back, 0)).toBe(64 * KiB)
        expect(back.subarray(0, 16 * KiB).every((b) => b === 0xff)).toBe(true)
        expect(back.subarray(16 * KiB, 32 * KiB).every((b) => b === 0)).toBe(true)
        expect(back.subarray(32 * KiB).every((b) => b === 0xff)).toBe(true)
        const punched = fs.statSync(file)
        expect(punched.size).toBe(1024 * KiB)
        expect(punched.blocks).toBeLessThan(before)

        expect((yield* Effect.flip(direct.allocate(fd, 0, 0)))._tag).toBe("BadArgument")
        expect((yield* Effect.flip(direct.deallocate(fd, 2 ** 53, 1)))._tag).toBe("BadArgument")
        yield* context.close(fd)
        // a read-only descriptor: the kernel's EBADF, typed
        const readOnly = yield* context.open(file, O_RDONLY, 0)
        const error = yield* Effect.flip(direct.allocate(readOnly, 0, 4096))
        expect(error._tag).toBe("SystemError")
        if (error._tag === "SystemError") expect(error.description).toContain("EBADF")
        yield* context.close(readOnly)
      }).pipe(Effect.provide(layer())))

    // broken once: writeDurable dispatched as a read -> its count was 0
    it.effect("a durable write is acknowledged with its count, and its data reads back", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const file = path.join(directory, `${backend}-durable.bin`)
        const fd = yield* context.open(file, O_RDWR | O_CREAT, 0o644)
        const data = pattern(new Uint8Array(12_345), 9)
        expect(yield* direct.writeDurable(fd, data, 100)).toBe(data.length)
        expect(fs.readFileSync(file).subarray(100).equals(Buffer.from(data))).toBe(true)
        yield* context.close(fd)
        // and on a direct descriptor, aligned
        const dfd = yield* context.open(file, O_RDWR | direct.openFlag, 0)
        const { memory, offset } = yield* direct.alignment(dfd)
        const block = pattern(yield* direct.allocateAligned(offset * 8, memory), 11)
        expect(yield* direct.writeDurable(dfd, block, offset * 8)).toBe(block.length)
        expect(fs.readFileSync(file).subarray(offset * 8, offset * 16).equals(Buffer.from(block))).toBe(true)
        yield* context.close(dfd)
      }).pipe(Effect.provide(layer())))

    // broken once (with the two below and the first): the layer's openFlag 0 -> procfs opened
    it.effect("a file system that refuses O_DIRECT (procfs) is a typed EINVAL at open", () =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        const error = yield* Effect.flip(context.open("/proc/self/status", O_RDONLY | direct.openFlag, 0))
        expect(error._tag).toBe("SystemError")
        if (error._tag === "SystemError") expect(error.description).toContain("EINVAL")
      }).pipe(Effect.provide(layer())))

    // tmpfs took O_DIRECT as a no-op from Linux 6.6 (before, the open was EINVAL)
    it.effect("O_DIRECT on tmpfs (/dev/shm): accepted from Linux 6.6, else a typed EINVAL", () =>
      Effect.gen(function*() {
        if (!fs.existsSync("/dev/shm")) return
        const { context, direct } = yield* capability
        const file = path.join("/dev/shm", `aiofile-direct-${process.pid}-${backend}.bin`)
        const opened = yield* Effect.either(context.open(file, O_RDWR | O_CREAT | direct.openFlag, 0o644))
        try {
          if (kernelAtLeast(6, 6)) {
            expect(opened._tag).toBe("Right")
            if (opened._tag === "Right") {
              const alignment = yield* direct.alignment(opened.right)
              expect(alignment.direct).toBe(true)
              const block = pattern(yield* direct.allocateAligned(alignment.offset, alignment.memory), 5)
              expect(yield* context.write(opened.right, block, 0)).toBe(block.length)
              yield* context.close(opened.right)
            }
          } else {
            expect(opened._tag).toBe("Left")
            if (opened._tag === "Left" && opened.left._tag === "SystemError") {
              expect(opened.left.description).toContain("EINVAL")
            }
          }
        } finally {
          fs.rmSync(file, { force: true })
        }
      }).pipe(Effect.provide(layer())))

    // (its alignment is seen by the kernel only: the round trip above checks it)
    it.effect("allocateAligned: zero-filled, bad arguments are BadArgument", () =>
      Effect.gen(function*() {
        const { direct } = yield* capability
        const buffer = yield* direct.allocateAligned(10_000, 4096)
        expect(buffer.length).toBe(10_000)
        expect(buffer.every((b) => b === 0)).toBe(true)
        expect((yield* Effect.flip(direct.allocateAligned(10, 3)))._tag).toBe("BadArgument")
        expect((yield* Effect.flip(direct.allocateAligned(-1, 4096)))._tag).toBe("BadArgument")
        expect((yield* Effect.flip(direct.allocateAligned(2 ** 31, 4096)))._tag).toBe("BadArgument")
        expect((yield* direct.allocateAligned(0, 512)).length).toBe(0)
      }).pipe(Effect.provide(layer())))
  })

  describe(`engine: ${backend}`, () => {
    // broken once: ReadCached without the direct_ lookup -> a preadv2 that answered EAGAIN (-11)
    it("readCached never serves a direct descriptor (it would wait for the device)", () => {
      const binding = NativeEngine.load()!
      const engine = new binding.Engine(backend, 8, () => {})
      const file = path.join(directory, `${backend}-nocache.bin`)
      fs.writeFileSync(file, Buffer.alloc(8 * KiB, 6))
      const buffered = fs.openSync(file, O_RDONLY)
      const fd = fs.openSync(file, O_RDONLY | O_DIRECT)
      try {
        const buffer = new Uint8Array(binding.allocAligned(4096, 4096))
        expect(engine.readCached(buffered, buffer, 0)).toBe(4096) // cached by the write above
        const alignment = engine.alignment(fd)
        expect(typeof alignment === "object" && alignment.direct).toBe(true)
        expect(engine.readCached(fd, buffer, 0)).toBe(-os.constants.errno.EOPNOTSUPP)
        expect(engine.alignment(1_000_000)).toBe(-os.constants.errno.EBADF)
      } finally {
        engine.destroy()
        fs.closeSync(fd)
        fs.closeSync(buffered)
      }
    })
  })
}
