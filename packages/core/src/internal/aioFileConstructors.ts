import type * as PlatformError from "@effect/platform/Error"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { AioContext } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import type { ValidMode } from "../FileMode.js"
import { fromContext as directOfContext } from "./aioDirect.js"
import { badArgument } from "./aioError.js"
import { AIOFileImpl } from "./aioFile.js"
import { borrowed, checkPath, resolve } from "./aioFileArguments.js"

// How an AIOFile comes to be: made from a path (the backend's O_DIRECT for a direct one), opened
// in a scope, wrapped around a descriptor, or provided as a layer.

/**
 * The file typed by its mode (see `AIOFile.ForMode`). There is one class whatever the mode: the
 * types only hide what the mode cannot do, which the file also checks when it runs.
 */
const forMode = <M extends string>(file: AIOFileImpl<string | Uint8Array>): AioFile.ForMode<M> =>
  file as unknown as AioFile.ForMode<M>

/** @internal */
export const make = <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: AioFile.Options
): Effect.Effect<AioFile.ForMode<M>, PlatformError.BadArgument, AioContext> =>
  Effect.suspend(() => {
    const invalid = checkPath(path)
    if (invalid !== undefined) return Effect.fail(invalid)
    return Effect.flatMap(resolve(mode ?? "r", options), ({ codec, direct, mode, ownership }) =>
      Effect.flatMap(AioContext, (context) => {
        const capability = directOfContext(context)
        if (direct && capability === undefined) {
          return Effect.fail(
            badArgument("open", `direct: the ${context.backend} backend has no AioDirect, so no O_DIRECT`)
          )
        }
        const owning = direct ? { ...ownership, flags: capability!.openFlag } : ownership
        return Effect.succeed(forMode<M>(new AIOFileImpl(context, path, mode, codec, owning, undefined)))
      }))
  })

/** @internal */
export const open = <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: AioFile.Options
): Effect.Effect<AioFile.ForMode<M>, AioError, AioContext | Scope.Scope> =>
  // the unopened file is the resource, so its open stays interruptible: whatever it left (open,
  // unopened again after an interruption, or failed) the finalizer's close handles
  Effect.flatMap(
    Effect.acquireRelease(make<M>(path, mode, options), (file) =>
      Effect.catchAll(file.close, (error) =>
        Effect.logWarning(`AIOFile: closing ${file.name} failed in a finalizer`, error))),
    (file) =>
      Effect.as(file.open, file)
  )

/** @internal */
export const fromFd = <M extends string>(
  fd: number,
  options: AioFile.Options & { readonly mode: ValidMode<M>; readonly name?: string | undefined }
): Effect.Effect<AioFile.ForMode<M>, PlatformError.BadArgument, AioContext> =>
  Effect.suspend(() => {
    if (!(Number.isSafeInteger(fd) && fd >= 0)) {
      return Effect.fail(badArgument("fromFd", `fd must be a non-negative integer, got ${String(fd)}`))
    }
    return Effect.flatMap(resolve(options.mode, options), ({ codec, mode }) =>
      Effect.map(
        AioContext,
        (context) => forMode<M>(new AIOFileImpl(context, options.name ?? `fd:${fd}`, mode, codec, borrowed, fd))
      ))
  })

/** @internal */
export const layer = <I, M extends string = "r">(
  tag: Context.Tag<I, AioFile.ForMode<NoInfer<M>>>,
  path: string,
  mode?: ValidMode<M>,
  options?: AioFile.Options
): Layer.Layer<I, AioError, AioContext> => Layer.scoped(tag, open<M>(path, mode, options))
