/**
 * What the participants share: where reads and writes go, and the checks of what reads return.
 *
 * @since 0.1.0
 */
import type { Tally } from "../drivers.js"
import { random } from "../drivers.js"
import { BLOCK, verifyRead } from "../files.js"
import type { Config } from "../workloads.js"

/** @since 0.1.0 */
export const MiB = 1024 * 1024
/** The 4 KiB the write workloads write. @since 0.1.0 */
export const block = Buffer.alloc(BLOCK, 0xa5)

/** @since 0.1.0 */
export const checked = (tally: Tally, buffer: Uint8Array, position: number) => {
  tally.verified++
  if (!verifyRead(buffer, position)) tally.failed++
}

/** Where each worker's next read goes: a random 4 KiB block, or (sequential) the next `size` bytes in turn. */
/** @since 0.1.0 */
export const positions = (config: Config, depth: number, size: number, sequential: boolean) => {
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 1))
  let next = 0
  return (w: number): number =>
    sequential ? (next++ * size) % config.dataSize : rngs[w]!(config.dataSize / BLOCK) * BLOCK
}

/** Where each of `depth` writers writes next: a random 4 KiB block of the write file. */
/** @since 0.1.0 */
export const writePositions = (config: Config, depth: number) => {
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 7))
  return (w: number): number => rngs[w]!(config.writeSize / BLOCK) * BLOCK
}

/** Checks what reads return; the counts go into the tally at the end. */
/** @since 0.1.0 */
export const checker = () => {
  const counts = { verified: 0, failed: 0 }
  return {
    check: (buffer: Uint8Array, position: number) => {
      counts.verified++
      if (!verifyRead(buffer, position)) counts.failed++
    },
    into: (tally: Tally): Tally => ({ ...tally, ...counts })
  }
}
