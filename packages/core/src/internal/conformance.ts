import { describe, layer } from "@effect/vitest"
import type { Options } from "../Conformance.js"
import { argumentTests } from "./conformanceArguments.js"
import { detachedTests } from "./conformanceDetached.js"
import { directTests } from "./conformanceDirect.js"
import { faultTests } from "./conformanceFaults.js"
import { fixtureOf } from "./conformanceFixture.js"
import { interruptionTests } from "./conformanceInterruption.js"
import { lifecycleTests } from "./conformanceLifecycle.js"
import { modelTests } from "./conformanceModel.js"
import { replacedTests } from "./conformanceReplaced.js"
import { streamTests } from "./conformanceStreams.js"
import { transferTests } from "./conformanceTransfers.js"
import { wholeFileTests } from "./conformanceWholeFile.js"

// The suite: each group of tests (one file each) registered in order under the backend's name.

/** @internal */
export const suite = (name: string, options: Options): void => {
  const fixture = fixtureOf(options)

  describe(`conformance: ${name}`, { timeout: 60_000 }, () => {
    layer(options.layer, { excludeTestServices: true })((it) => {
      lifecycleTests({ it, ...fixture })
      transferTests({ it, ...fixture })
      argumentTests({ it, ...fixture }, options)
      replacedTests({ it, ...fixture })
      streamTests({ it, ...fixture })
      detachedTests({ it, ...fixture })
      interruptionTests({ it, ...fixture }, options)
      wholeFileTests({ it, ...fixture })
      directTests({ it, ...fixture })
      faultTests({ it, ...fixture })
      modelTests({ it, ...fixture }, name, options)
    })
  })
}

/** @internal */
export const modelSuite = (name: string, options: Options): void => {
  const fixture = fixtureOf(options)
  describe(`conformance models: ${name}`, { timeout: 600_000 }, () => {
    layer(options.layer, { excludeTestServices: true })((it) => modelTests({ it, ...fixture }, name, options))
  })
}
