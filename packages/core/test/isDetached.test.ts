import { AioContext } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"

/** A view whose buffer was transferred away. */
const detached = (byteOffset = 0, length = 8) => {
  const buffer = new ArrayBuffer(16)
  const view = new Uint8Array(buffer, byteOffset, length)
  structuredClone(buffer, { transfer: [buffer] })
  return view
}

describe("AioContext.isDetached", () => {
  it("is true for a view of a transferred buffer, at any offset, and for a DataView of one", () => {
    expect(AioContext.isDetached(detached())).toBe(true)
    expect(AioContext.isDetached(detached(3, 2))).toBe(true)
    const buffer = new ArrayBuffer(8)
    const dataView = new DataView(buffer)
    structuredClone(buffer, { transfer: [buffer] })
    expect(AioContext.isDetached(dataView)).toBe(true)
  })

  it("is false for views with bytes and for empty views of buffers that were not transferred", () => {
    expect(AioContext.isDetached(new Uint8Array(8))).toBe(false)
    expect(AioContext.isDetached(new Uint8Array(0))).toBe(false)
    expect(AioContext.isDetached(new Uint8Array(new ArrayBuffer(0)))).toBe(false)
    expect(AioContext.isDetached(new Uint8Array(8).subarray(8))).toBe(false)
    expect(AioContext.isDetached(new Uint8Array(new SharedArrayBuffer(0)))).toBe(false)
    expect(AioContext.isDetached(new DataView(new ArrayBuffer(0)))).toBe(false)
  })
})
