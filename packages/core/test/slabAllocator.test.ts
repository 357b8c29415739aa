import { AioContext } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"

describe("AioContext.makeSlabAllocator", () => {
  it("cuts requests up to 8 KiB from 256 KiB slabs, 8-byte aligned and never overlapping", () => {
    const sealed: Array<ArrayBuffer> = []
    const fresh: Array<number> = []
    const allocate = AioContext.makeSlabAllocator((size) => {
      fresh.push(size)
      return new Uint8Array(size)
    }, (slab) => sealed.push(slab))
    const views = [1, 7, 4096, 8192, 0, 3, 4096].map(allocate)
    expect(views.map((view) => view.length)).toEqual([1, 7, 4096, 8192, 0, 3, 4096])
    expect(fresh).toEqual([])
    expect(sealed.length).toBe(1)
    expect(sealed[0]!.byteLength).toBe(256 * 1024)
    for (const view of views) {
      expect(view.buffer).toBe(sealed[0])
      expect(view.byteOffset % 8).toBe(0)
      expect(view.every((byte) => byte === 0)).toBe(true) // zero-filled: no stale bytes
    }
    // writing each view whole leaves the others intact
    views.forEach((view, i) => view.fill(i + 1))
    views.forEach((view, i) => expect(view.every((byte) => byte === i + 1)).toBe(true))
    // a full slab is replaced by a new one, sealed too
    for (let i = 0; i < 32; i++) allocate(8192)
    expect(sealed.length).toBe(2)
    // larger requests come from `fresh`, one buffer each
    const large = allocate(8193)
    expect(fresh).toEqual([8193])
    expect(large.length).toBe(8193)
    expect(sealed.includes(large.buffer as ArrayBuffer)).toBe(false)
  })

  it("gives a slab transfer methods that refuse, where ArrayBuffer has them (Node 21 and later)", () => {
    const allocate = AioContext.makeSlabAllocator((size) => new Uint8Array(size))
    const [a, b] = [allocate(4).fill(1), allocate(4).fill(2)]
    const slab = a.buffer as ArrayBuffer & { transfer?: () => ArrayBuffer; transferToFixedLength?: () => ArrayBuffer }
    const large = allocate(8193).buffer as ArrayBuffer
    for (const method of ["transfer", "transferToFixedLength"] as const) {
      if (!(method in ArrayBuffer.prototype)) {
        expect(Object.getOwnPropertyNames(slab), method).toEqual([])
        continue
      }
      expect(() => slab[method]!(), method).toThrow(TypeError)
      expect(Object.keys(slab), method).toEqual([]) // not enumerable: the slab looks like any buffer
      expect(Object.hasOwn(large, method), method).toBe(false) // a buffer of its own is the caller's
    }
    expect([a.length, b.length, [...a], [...b]]).toEqual([4, 4, [1, 1, 1, 1], [2, 2, 2, 2]])
  })
})
