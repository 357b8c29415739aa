// Whether this JS runtime can host the native engines: the one check, made before the addon is
// handed to anyone (binding.ts's `load`, so `probe`, the layers and `NativeEngine.load` alike).
//
// An engine watches its eventfd with a libuv uv_poll_t and submits once per loop turn from a
// uv_prepare_t (engine.cc, engine_loop.cc). Runtimes that serve Node-API without libuv do not
// fail those calls, they end the process, which nothing can catch: the runtime must be known
// before the first engine is made.
// - Bun 1.4.5 exports every uv_* symbol, most as stubs: uv_poll_init panics ("unsupported uv
//   function: uv_poll_init") and the process aborts. The symbols being there says nothing.
// - Deno 2.9.6 has uv_poll_* but no uv_prepare_*: the dynamic linker ends the process at the
//   first uv_prepare_init ("symbol lookup error", exit 127).

/** The runtime's `process.versions`, or the part of it this check reads. */
export interface RuntimeVersions {
  readonly node?: string | undefined
  readonly bun?: string | undefined
  readonly deno?: string | undefined
}

/**
 * Why the native engines cannot run on this JS runtime, or `undefined` where they can (Node.js,
 * and runtimes built on it, such as Electron).
 *
 * @internal
 */
export const unsupportedRuntime = (versions: RuntimeVersions = process.versions): string | undefined => {
  if (versions.bun !== undefined) {
    return `Bun ${versions.bun} does not implement libuv's uv_poll_init, which the native engine's completion ` +
      "watcher needs: the call would end the process, so no engine is started on Bun"
  }
  if (versions.deno !== undefined) {
    return `Deno ${versions.deno} does not provide libuv's uv_prepare_init, which the native engine needs to ` +
      "submit its requests: the call would end the process, so no engine is started on Deno"
  }
  return undefined
}
