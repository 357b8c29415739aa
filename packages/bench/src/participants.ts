/**
 * The participants of `pnpm bench`, in the order of the report, and each workload's baseline. The
 * participants themselves live in `participants/`, one file per family.
 *
 * @since 0.1.0
 */
import { aioFileSystemUring } from "./participants/aioFileSystem.js"
import { bun } from "./participants/bun.js"
import { cPsync } from "./participants/c.js"
import {
  effectBytesMany,
  effectDurable,
  effectIntoMany,
  effectLinuxAio,
  effectNoIo,
  effectReadInto,
  effectThread,
  effectUring
} from "./participants/effect.js"
import {
  effectSyncReadFiles,
  linuxAioContextPairs,
  threadContextPairs,
  uringContextPairs,
  uringContextPairsScoped
} from "./participants/effectWholeFiles.js"
import { nativeCachedLoop, nativeRaw } from "./participants/native.js"
import { nodeCallback, nodeFileHandle, nodeFreshBuffers } from "./participants/node.js"
import { platform } from "./participants/platform.js"
import type { Participant, WorkloadId } from "./workloads.js"

export {
  /**
   * @since 0.1.0
   */
  type Config,
  /**
   * @since 0.1.0
   */
  type Participant,
  /**
   * @since 0.1.0
   */
  type WorkloadId,
  /**
   * @since 0.1.0
   */
  workloads
} from "./workloads.js"

/**
 * Every participant, in the order of the report.
 *
 * @since 0.1.0
 */
export const participants: ReadonlyArray<Participant> = [
  effectUring,
  effectLinuxAio,
  effectReadInto,
  effectBytesMany,
  effectIntoMany,
  effectNoIo,
  effectDurable,
  nativeRaw,
  nativeCachedLoop,
  effectThread,
  effectSyncReadFiles,
  uringContextPairs,
  uringContextPairsScoped,
  linuxAioContextPairs,
  threadContextPairs,
  nodeFileHandle,
  nodeCallback,
  nodeFreshBuffers,
  bun,
  platform,
  aioFileSystemUring,
  cPsync
]

/**
 * The ratio of each workload is taken against this participant.
 *
 * @since 0.1.0
 */
export const baselineOf = (workload: WorkloadId): string =>
  workload === "stream"
    ? platform.name
    : workload === "write-fdsync"
    ? cPsync.name
    : workload === "open-close-qd64"
    ? uringContextPairs.name // the target is a fraction of the backend's own open + close pairs
    : nodeFileHandle.name
