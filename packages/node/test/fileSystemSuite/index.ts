/**
 * One behaviour suite for `FileSystem.FileSystem`, run on NodeFileSystem and on AioFileSystem over
 * every backend with the same expectations; where they differ (NodeFileSystem's answers to bad
 * input, what the memory backend cannot know) the reason is beside the check.
 */
import { layer } from "@effect/vitest"
import { badInput } from "./badInput.js"
import { files } from "./files.js"
import type { Target } from "./helpers.js"
import { paths } from "./paths.js"

export type { Target } from "./helpers.js"

export const fileSystemSuite = (target: Target): void =>
  layer(target.layer)(`FileSystem on ${target.name}`, (it) => {
    files(target, it)
    paths(target, it)
    badInput(target, it)
  })
