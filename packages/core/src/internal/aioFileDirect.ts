import * as Effect from "effect/Effect"
import type { AioContextService, Callback, Cancel } from "../AioContext.js"
import type { Advice, AioDirect, Alignment } from "../AioDirect.js"
import type { AioError } from "../AioError.js"
import { checkAdvice, checkAligned, checkRange } from "./aioDirect.js"
import { badArgument, relabel } from "./aioError.js"
import type { Lifecycle } from "./aioFileLifecycle.js"
import { readsSize, retrying } from "./aioFileTransfer.js"
import type { FormOf } from "./operationForms.js"

// An AIOFile's use of its backend's AioDirect (advice, preallocation, O_DIRECT): each call is an
// operation on the descriptor like the others (counted, relabelled), and a direct file's transfers
// keep its alignment.

/** @internal */
export class FileDirect {
  private aligned: Alignment | undefined

  constructor(
    private readonly context: AioContextService,
    private readonly life: Lifecycle,
    private readonly name: string,
    /** What the backend offers beyond the descriptor operations, if anything. */
    readonly capability: AioDirect | undefined,
    /** Whether the file was opened with `O_DIRECT`: its transfers keep its `alignment`. */
    readonly directIO: boolean
  ) {}

  /** Runs an operation of the capability on the descriptor, or `otherwise` without one. */
  private run<B>(
    method: string,
    operation: (capability: AioDirect, fd: number) => Effect.Effect<B, AioError>,
    otherwise: () => Effect.Effect<B, AioError>
  ): Effect.Effect<B, AioError> {
    const capability = this.capability
    if (capability === undefined) return otherwise()
    return this.life.run(method, false, (fd, done, forms) => forms(() => operation(capability, fd))(done))
  }

  private unavailable(method: string) {
    return badArgument(method, `the ${this.context.backend} backend has no AioDirect (advice, fallocate, O_DIRECT)`)
  }

  advise(advice: Advice, offset: number, length: number): Effect.Effect<void, AioError> {
    const invalid = checkAdvice(advice) ?? checkRange("advise", offset, length)
    if (invalid !== undefined) return Effect.fail(invalid)
    // advice is only advice: a backend without a way to give it ignores it
    return this.run("advise", (c, fd) => c.advise(fd, offset, length, advice), () => Effect.void)
  }

  get alignment(): Effect.Effect<Alignment, AioError> {
    return Effect.suspend(() => {
      if (this.aligned !== undefined) return Effect.succeed(this.aligned)
      return Effect.tap(
        this.run("alignment", (c, fd) => c.alignment(fd), () => Effect.fail(this.unavailable("alignment"))),
        (alignment) => {
          this.aligned = alignment
        }
      )
    })
  }

  alignedBuffer(size: number): Effect.Effect<Uint8Array, AioError> {
    return Effect.flatMap(
      this.alignment,
      (alignment) =>
        Effect.mapError(this.capability!.allocateAligned(size, alignment.memory), relabel("alignedBuffer", this.name))
    )
  }

  allocate(offset: number, length: number, options?: { readonly keepSize?: boolean }): Effect.Effect<void, AioError> {
    const invalid = checkRange("allocate", offset, length)
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.run(
      "allocate",
      (c, fd) => c.allocate(fd, offset, length, options),
      () => Effect.fail(this.unavailable("allocate"))
    )
  }

  deallocate(offset: number, length: number): Effect.Effect<void, AioError> {
    const invalid = checkRange("deallocate", offset, length)
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.run(
      "deallocate",
      (c, fd) => c.deallocate(fd, offset, length),
      () => Effect.fail(this.unavailable("deallocate"))
    )
  }

  /**
   * A transfer on a direct file: after the alignment check, one request (a short result is the end
   * of the file; a continuation would break the alignment).
   */
  transfer(
    method: string,
    buffer: Uint8Array,
    offset: number,
    submit: (forms: FormOf, fd: number, done: Callback<number>) => Cancel | void
  ): Effect.Effect<number, AioError> {
    return Effect.flatMap(this.alignment, (alignment) => {
      const misaligned = checkAligned(method, alignment, buffer, offset)
      if (misaligned !== undefined) return Effect.fail(misaligned)
      return this.life.run(method, false, (fd, done, forms) => submit(forms, fd, done))
    })
  }

  /** `readBytes` of a direct file: into aligned memory, the length rounded up to the alignment. */
  readBytes(
    method: string,
    size: number,
    offset: number,
    fileSize: Effect.Effect<number, AioError>
  ): Effect.Effect<Uint8Array, AioError> {
    return Effect.gen(this, function*() {
      const alignment = yield* this.alignment
      const available = readsSize(size) ? Math.max(0, (yield* fileSize) - offset) : size
      const wanted = size === -1 ? available : Math.min(size, available)
      if (wanted === 0) return new Uint8Array(0)
      const length = Math.ceil(wanted / alignment.offset) * alignment.offset
      const buffer = yield* Effect.mapError(
        this.capability!.allocateAligned(length, alignment.memory),
        relabel(method, this.name)
      )
      const n = yield* this.transfer(
        method,
        buffer,
        offset,
        (forms, fd, done) => retrying((read) => forms(this.context.read)(fd, buffer, offset, read), done)
      )
      return buffer.subarray(0, Math.min(n, wanted))
    })
  }
}
