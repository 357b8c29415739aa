import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioFaults from "@effect-aiofile/core/AioFaults"
import * as Conformance from "@effect-aiofile/core/Conformance"

Conformance.suite("memory", {
  layer: AioContext.layerMemory({ directories: ["/conformance"] }),
  directory: "/conformance"
})

// the model tests again on the crash simulator: the sequences under faults crash too, torn or not
Conformance.modelSuite("memory-crashable", {
  layer: AioFaults.layerCrashable({ directories: ["/models"] }),
  directory: "/models"
})
