/* global console, process */
// Builds the native addon with node-gyp (the package's install script).
//
// A failed build must not fail `pnpm install`: without a compiler the addon is simply absent, the
// probe reports "addon not built" and the default backend falls back to the thread pool. Pass
// `--strict` to exit non-zero on failure instead (for CI and `build:native`).
//
// Node's own headers ship with the node binary (<prefix>/include/node); pointing node-gyp at them
// with --nodedir avoids a download, so the build works offline.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const strict = process.argv.includes("--strict")

// Why the last build failed, for the warning the library logs at run time (internal/binding.ts).
const failureRecord = path.join(packageDir, "build", "install-failed.txt")

const warn = (message) => {
  fs.mkdirSync(path.dirname(failureRecord), { recursive: true })
  fs.writeFileSync(failureRecord, `${message}\n`)
  console.warn(`@effect-aiofile/native: ${message}`)
  console.warn("@effect-aiofile/native: the io_uring and linux-aio backends are unavailable; the thread pool is used")
  process.exit(strict ? 1 : 0)
}

if (process.platform !== "linux") warn(`no native engine on ${process.platform}`)

let nodeGyp
try {
  nodeGyp = createRequire(path.join(packageDir, "package.json")).resolve("node-gyp/bin/node-gyp.js")
} catch {
  warn("node-gyp is not installed")
}

const args = [nodeGyp, "rebuild"]
const nodeDir = path.resolve(path.dirname(process.execPath), "..")
if (fs.existsSync(path.join(nodeDir, "include", "node", "node_api.h"))) args.push(`--nodedir=${nodeDir}`)
if (process.env.AIOFILE_NATIVE_DEBUG) args.push("--debug")

fs.rmSync(failureRecord, { force: true })
const result = spawnSync(process.execPath, args, { cwd: packageDir, stdio: "inherit" })
if (result.error !== undefined) warn(`node-gyp could not run: ${result.error.message}`)
if (result.status !== 0) warn(`node-gyp rebuild failed (exit ${result.status ?? result.signal})`)
