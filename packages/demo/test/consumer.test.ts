/**
 * The packages as another project installs them: the README's "Use it in your project" section, run
 * as written in a temporary directory outside the repository. It packs the three packages, installs
 * the tarballs with the consumer's own `effect` and vitest (from the npm registry, or pnpm's store),
 * runs the section's program and its conformance test there, then checks the install itself.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repository = fileURLToPath(new URL("../../..", import.meta.url))

interface Block {
  readonly language: string
  readonly text: string
}

/** The fenced blocks of the README section under `heading`, in order. */
const readmeBlocks = (heading: string): ReadonlyArray<Block> => {
  const readme = fs.readFileSync(path.join(repository, "README.md"), "utf8")
  const start = readme.indexOf(`\n## ${heading}\n`)
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThan(0)
  const end = readme.indexOf("\n## ", start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  return Array.from(section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm), (match) => ({
    language: match[1]!,
    text: match[2]!
  }))
}

/**
 * What the consumer's commands see: the machine's PATH and home, without this workspace's
 * `node_modules/.bin`, vitest's variables or pnpm's `npm_*` settings of the run that started us.
 */
const consumerEnvironment = (app: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { APP: app }
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("npm_") || key.startsWith("VITEST") || ["NODE_OPTIONS", "TEST", "FORCE_COLOR"].includes(key)) {
      continue
    }
    env[key] = value
  }
  env.NO_COLOR = "1"
  env.PATH = (process.env.PATH ?? "").split(path.delimiter).filter((entry) => !entry.includes(repository)).join(
    path.delimiter
  )
  return env
}

/** Runs `script` in bash without blocking this worker (vitest talks to it meanwhile). */
const bash = (script: string, cwd: string, env: NodeJS.ProcessEnv) =>
  new Promise<{ status: number | null; output: string; stdout: string }>((resolve) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => output += chunk)
    child.on("close", (status) => resolve({ status, output, stdout }))
  })

/** The `.pnpm` entries of a package, one per installed copy. */
const copiesOf = (app: string, name: string): ReadonlyArray<string> =>
  fs.readdirSync(path.join(app, "node_modules", ".pnpm")).filter((entry) =>
    entry.startsWith(`${name.replace("/", "+")}@`)
  )

describe("the packages in another project", () => {
  it("install from their tarballs, build the addon, run the README's program and the conformance suite", async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-consumer-"))
    try {
      const blocks = readmeBlocks("Use it in your project")
      const files = blocks.filter((block) => block.language === "js")
      expect(files.map((block) => block.text.split("\n")[0])).toEqual(["// main.mjs", "// aiofile.test.mjs"])
      for (const file of files) fs.writeFileSync(path.join(app, file.text.split("\n")[0]!.slice(3)), file.text)
      const commands = blocks.filter((block) => block.language === "sh").map((block) => block.text).join("\n")

      const run = await bash(commands, repository, consumerEnvironment(app))
      expect(run.status, run.output.slice(-4000)).toBe(0)

      expect(run.stdout, run.output.slice(-3000)).toContain(`read "Hello from my-app\\n" on the io_uring backend`)
      expect(run.stdout, run.output.slice(-3000)).toMatch(/Tests\s+\d+ passed/)
      expect(run.stdout).not.toMatch(/Tests\s+.*failed/)
      expect(fs.existsSync(path.join(app, "node_modules/@effect-aiofile/native/build/Release/aiofile_native.node")))
        .toBe(true)
      expect(copiesOf(app, "effect")).toHaveLength(1)
      expect(copiesOf(app, "@effect/platform")).toHaveLength(1)
      expect(copiesOf(app, "vitest")).toHaveLength(1)

      // the public surface: the modules the exports map lists, nothing internal, no demo
      const imports = await bash(
        `node --input-type=module -e '
          const tries = ["@effect-aiofile/core", "@effect-aiofile/core/AIOFile", "@effect-aiofile/core/internal/aioFile",
            "@effect-aiofile/native/internal/binding", "@effect-aiofile/node/demo", "@effect-aiofile/node/bench/main"]
          for (const name of tries) {
            try { await import(name); console.log(name, "ok") } catch (error) { console.log(name, error.code) }
          }'`,
        app,
        consumerEnvironment(app)
      )
      expect(imports.stdout.trim().split("\n")).toEqual([
        "@effect-aiofile/core ok",
        "@effect-aiofile/core/AIOFile ok",
        "@effect-aiofile/core/internal/aioFile ERR_PACKAGE_PATH_NOT_EXPORTED",
        "@effect-aiofile/native/internal/binding ERR_PACKAGE_PATH_NOT_EXPORTED",
        "@effect-aiofile/node/demo ERR_PACKAGE_PATH_NOT_EXPORTED",
        "@effect-aiofile/node/bench/main ERR_PACKAGE_PATH_NOT_EXPORTED"
      ])

      // without the allow-list entry pnpm skips the build: the program runs on the thread pool and
      // says which setting fixes it
      const skipped = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-consumer-unbuilt-"))
      try {
        fs.cpSync(path.join(app, "vendor"), path.join(skipped, "vendor"), { recursive: true })
        fs.copyFileSync(path.join(app, "main.mjs"), path.join(skipped, "main.mjs"))
        fs.writeFileSync(path.join(skipped, "package.json"), JSON.stringify({ name: "unbuilt", type: "module" }))
        const unbuilt = await bash(
          `npx --yes pnpm@10 add ./vendor/effect-aiofile-core-0.1.0.tgz ./vendor/effect-aiofile-native-0.1.0.tgz \\
             ./vendor/effect-aiofile-node-0.1.0.tgz effect@~3.22.4 @effect/platform@~0.97.1 @effect/platform-node@~0.108.2
           node main.mjs`,
          skipped,
          consumerEnvironment(skipped)
        )
        expect(unbuilt.status, unbuilt.output.slice(-4000)).toBe(0)
        expect(unbuilt.stdout).toContain(`read "Hello from my-app\\n" on the thread backend`)
        expect(unbuilt.output).toContain("onlyBuiltDependencies")
        expect(unbuilt.output).toContain("@effect-aiofile/native@file:")
      } finally {
        fs.rmSync(skipped, { recursive: true, force: true })
      }
    } finally {
      fs.rmSync(app, { recursive: true, force: true })
    }
  }, 600_000)
})
