/**
 * Splits a byte stream on a separator (copying the bytes it keeps, so the caller may reuse a piece's
 * buffer once `push` returns), keeping the separator at the end of each line. The separator
 * may be several bytes and may straddle two pieces; in a multi-byte-unit encoding (utf-16le) it only
 * matches at a character boundary (an offset from the stream's start that is a multiple of `unit`).
 */
export interface LineSplitter {
  /**
   * Takes the next piece; returns where complete lines are: `head` (the bytes that complete the line
   * begun in earlier pieces, separator included, or undefined when no line completes there) and the
   * span `[spanStart, spanEnd)` of `piece` made of whole lines (each ending with the separator).
   * Bytes after `spanEnd` are kept for the next piece.
   */
  readonly push: (
    piece: Uint8Array
  ) => { readonly head: Uint8Array | undefined; readonly spanStart: number; readonly spanEnd: number }
  /** The bytes of the last, unterminated line (empty when the stream ended on a separator). */
  readonly end: () => Uint8Array
}

/** `parts` in one array of `length` bytes (the part itself when it is the only one). @internal */
export const concat = (parts: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  if (parts.length === 1 && parts[0]!.length === length) return parts[0]!
  const out = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** @internal */
export const makeLineSplitter = (separator: Uint8Array, unit: number): LineSplitter => {
  const first = separator[0]!
  const sepLength = separator.length
  let pending: Array<Uint8Array> = []
  let pendingLength = 0
  /** Bytes of the stream before the current piece. */
  let consumed = 0

  const matchesAt = (bytes: Uint8Array, at: number): boolean => {
    for (let k = 1; k < sepLength; k++) if (bytes[at + k] !== separator[k]) return false
    return true
  }

  /** The first separator in `bytes` at or after `from`, on a unit boundary counted from `base`. */
  const find = (bytes: Uint8Array, from: number, base: number): number => {
    for (
      let at = bytes.indexOf(first, from);
      at !== -1 && at + sepLength <= bytes.length;
      at = bytes.indexOf(first, at + 1)
    ) {
      if ((base + at) % unit === 0 && matchesAt(bytes, at)) return at
    }
    return -1
  }

  /** The end of the last separator in `bytes` at or after `from`, or -1. */
  const lastEnd = (bytes: Uint8Array, from: number, base: number): number => {
    if (sepLength === 1 && unit === 1) {
      // one byte: search from the end (a longer separator may overlap itself, so it is scanned forward)
      const at = bytes.lastIndexOf(first)
      return at >= from ? at + 1 : -1
    }
    let end = -1
    for (let at = find(bytes, from, base); at !== -1; at = find(bytes, at + sepLength, base)) end = at + sepLength
    return end
  }

  return {
    push: (piece) => {
      const base = consumed
      consumed += piece.length
      let head: Uint8Array | undefined
      let start = 0
      if (pendingLength > 0) {
        // a separator that starts in the pending bytes and ends in this piece
        let headEnd = -1
        if (sepLength > 1) {
          const tailLength = Math.min(sepLength - 1, pendingLength)
          const window = concat(
            [...pending, piece.subarray(0, sepLength - 1)],
            pendingLength + Math.min(piece.length, sepLength - 1)
          )
            .subarray(pendingLength - tailLength)
          const at = find(window, 0, base - tailLength)
          if (at !== -1 && at < tailLength) headEnd = at + sepLength - tailLength
        }
        if (headEnd === -1) {
          const at = find(piece, 0, base)
          if (at !== -1) headEnd = at + sepLength
        }
        if (headEnd === -1) {
          pending.push(piece.slice())
          pendingLength += piece.length
          return { head: undefined, spanStart: piece.length, spanEnd: piece.length }
        }
        head = concat([...pending, piece.subarray(0, headEnd)], pendingLength + headEnd)
        pending = []
        pendingLength = 0
        start = headEnd
      }
      const end = lastEnd(piece, start, base)
      const spanEnd = end === -1 ? start : end
      if (spanEnd < piece.length) {
        pending.push(piece.slice(spanEnd))
        pendingLength += piece.length - spanEnd
      }
      return { head, spanStart: start, spanEnd }
    },
    end: () => {
      const rest = concat(pending, pendingLength)
      pending = []
      pendingLength = 0
      return rest
    }
  }
}
