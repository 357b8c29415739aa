import { spawnSync, type SpawnSyncReturns } from "node:child_process"
import { addonPath } from "../src/internal/binding.js"

/**
 * Runs `body` in a fresh node process with `engine` (an Engine of `kind`), `call(method, ...args)`
 * (a promise of the result), `addon` (the addon's path) and `outcome(label, fn)` (prints the class of the error `fn` throws,
 * or `ok`) in scope. The process prints DONE when the body finished.
 */
export const runEngineChild = (
  kind: "io_uring" | "linux-aio",
  body: string,
  options: { readonly timeout?: number; readonly env?: Record<string, string>; readonly cwd?: string } = {}
): SpawnSyncReturns<string> => {
  const script = `
const addon = ${JSON.stringify(addonPath())}
const binding = require(addon)
const fs = require("node:fs")
const kind = ${JSON.stringify(kind)}
const handlers = new Map()
let nextId = 1
const engine = new binding.Engine(kind, 32, (batch) => {
  for (let i = 0; i < batch.length; i += 2) {
    const handler = handlers.get(batch[i])
    handlers.delete(batch[i])
    if (handler) handler(batch[i + 1])
  }
})
const call = (method, ...args) => new Promise((resolve) => {
  const id = nextId++
  handlers.set(id, resolve)
  try { engine[method](id, ...args) } catch (error) { handlers.delete(id); resolve(error.constructor.name) }
})
const outcome = (label, fn) => {
  try { fn(); console.log(label, "ok") } catch (error) { console.log(label, error.constructor.name) }
}
;(async () => {
${body}
})().then(() => console.log("DONE"), (error) => { console.log("REJECTED", error && error.stack); process.exitCode = 3 })
`
  return spawnSync(process.execPath, ["-e", script], {
    encoding: "utf8",
    timeout: options.timeout ?? 30_000,
    cwd: options.cwd,
    env: { ...process.env, ...options.env }
  })
}

/** The lines a child printed, as label -> rest. */
export const lines = (result: SpawnSyncReturns<string>): Map<string, string> =>
  new Map(
    result.stdout.split("\n").filter((line) => line.length > 0).map((line) => {
      const space = line.indexOf(" ")
      return space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)]
    })
  )

/** Describes how a child ended, for assertion messages. */
export const ending = (result: SpawnSyncReturns<string>): string =>
  `status=${result.status} signal=${result.signal} error=${result.error?.message}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`
