import * as AioContext from "@effect-aiofile/core/AioContext"
import * as Conformance from "@effect-aiofile/core/Conformance"

Conformance.suite("memory", {
  layer: AioContext.layerMemory({ directories: ["/conformance"] }),
  directory: "/conformance"
})
