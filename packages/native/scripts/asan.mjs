/* global console, process */
// test:asan — builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer into
// build-asan/ (the normal build/ is untouched) and runs the native test project against it, with
// the ASan runtime preloaded into node (node itself is not instrumented, so the runtime must be
// the first library loaded). Any sanitizer report aborts the process that hit it, which fails the
// test that spawned it (binding tests run the addon in child processes) or the run itself.
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const rootDir = path.resolve(packageDir, "..", "..")
const buildDir = path.join(packageDir, "build-asan")
const require = createRequire(path.join(packageDir, "package.json"))

const gyp = JSON.parse(fs.readFileSync(path.join(packageDir, "binding.gyp"), "utf8"))
const target = gyp.targets[0]
const sanitize = [
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=undefined",
  "-fno-omit-frame-pointer",
  "-g",
  "-O1"
]
const asanTarget = {
  ...target,
  sources: target.sources.map((source) => path.join("..", source)),
  include_dirs: [path.dirname(require.resolve("node-addon-api/package.json"))],
  cflags_cc: [...target.cflags_cc, ...sanitize],
  ldflags: ["-fsanitize=address,undefined"]
}
fs.mkdirSync(buildDir, { recursive: true })
fs.writeFileSync(path.join(buildDir, "binding.gyp"), JSON.stringify({ targets: [asanTarget] }, null, 2))

const nodeDir = path.resolve(path.dirname(process.execPath), "..")
const gypArgs = [require.resolve("node-gyp/bin/node-gyp.js"), "rebuild"]
if (fs.existsSync(path.join(nodeDir, "include", "node", "node_api.h"))) gypArgs.push(`--nodedir=${nodeDir}`)
const build = spawnSync(process.execPath, gypArgs, { cwd: buildDir, stdio: "inherit" })
if (build.status !== 0) {
  console.error("test:asan: the sanitized build failed")
  process.exit(1)
}

const runtime = (name) => execFileSync("g++", [`-print-file-name=${name}`], { encoding: "utf8" }).trim()
const libasan = runtime("libasan.so")
if (!path.isAbsolute(libasan) || !fs.existsSync(libasan)) {
  console.error(`test:asan: libasan.so not found (g++ says ${libasan})`)
  process.exit(1)
}

const vitest = createRequire(path.join(rootDir, "package.json")).resolve("vitest/vitest.mjs")
const env = {
  ...process.env,
  AIOFILE_NATIVE_ADDON: path.join(buildDir, "build", "Release", "aiofile_native.node"),
  LD_PRELOAD: libasan,
  // Node's own allocations are not instrumented and are freed at exit in ways LeakSanitizer
  // misreports, so leak checking is off; every other error aborts.
  ASAN_OPTIONS: "detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0",
  UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1"
}
console.log(`test:asan: running the native tests with LD_PRELOAD=${libasan}`)
const run = spawnSync(process.execPath, [vitest, "run", "--project", "native", ...process.argv.slice(2)], {
  cwd: rootDir,
  stdio: "inherit",
  env
})
process.exit(run.status ?? 1)
