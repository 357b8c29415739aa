/** Requests up to this size are cut from a slab. */
const SLAB_REQUEST_MAX = 8 * 1024
/** One slab serves at least 32 such requests (128 of 2 KiB). */
const SLAB_SIZE = 256 * 1024

/**
 * `ArrayBuffer.prototype.transfer` and `transferToFixedLength` (ES2024: Node 21 and later) detach a
 * buffer that structured clone and `postMessage` refuse to transfer: Node 22's untransferable mark
 * does not stop them (Node 24's does). Detaching a slab would empty every view on it, reads still
 * filling theirs included, so a slab's own `transfer` methods refuse, as `postMessage` does from
 * Node 21 on.
 */
const untransferable = (slab: ArrayBuffer): void => {
  for (const method of ["transfer", "transferToFixedLength"]) {
    if (method in ArrayBuffer.prototype) {
      Object.defineProperty(slab, method, {
        value: () => {
          // eslint-disable-next-line no-restricted-syntax -- the TypeError a buffer that cannot be detached gives
          throw new TypeError(
            `ArrayBuffer.prototype.${method}: this buffer is a slab shared by several reads' results (transfer a slice() of the view)`
          )
        }
      })
    }
  }
}

/**
 * Read buffers for small reads are views into shared zero-filled slabs: one ArrayBuffer per slab
 * instead of one per read, which is most of the allocation and GC cost of a 4 KiB read. Larger
 * requests come from `fresh`. Views start on 8-byte boundaries, so any typed array fits on them.
 *
 * @internal
 */
export const slabAllocator = (
  fresh: (size: number) => Uint8Array,
  seal: (slab: ArrayBuffer) => void = () => {}
) => {
  let slab = new ArrayBuffer(0)
  let used = 0
  return (size: number): Uint8Array => {
    if (size > SLAB_REQUEST_MAX) return fresh(size)
    if (used + size > slab.byteLength) {
      slab = new ArrayBuffer(SLAB_SIZE)
      untransferable(slab)
      seal(slab)
      used = 0
    }
    const view = new Uint8Array(slab, used, size)
    used += (size + 7) & ~7
    return view
  }
}
