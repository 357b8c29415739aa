/**
 * Lines: what ends a line, the one function that finds it in bytes, the splitter of a byte stream
 * into lines, and the decoding of whole lines in pieces. `AIOFile.lines` (so `FileWrapper.lines`)
 * and `FileWrapper.readline` are built on it.
 *
 * Lines are split on the separator's bytes before they are decoded, so a line is decoded whole and
 * a multibyte character or a separator cut by a read is never seen cut. In an encoding whose code
 * unit is wider than a byte (utf-16le), a separator only matches at a character boundary: at a
 * multiple of the unit from the start of the bytes (a line, a read, a stream).
 */
import * as Either from "effect/Either"
import type { Codec } from "./encoding.js"

/** What ends a line: the text the caller gave, its bytes in the file's encoding and that encoding. */
export interface Separator {
  readonly text: string
  readonly bytes: Uint8Array
  /** The size of a code unit of the encoding in bytes (1, or 2 for utf-16le). */
  readonly unit: number
  readonly codec: Codec
}

/** The separator of `codec` for `text`, or what is wrong with it (not a non-empty, encodable string). */
export const makeSeparator = (codec: Codec, text: unknown): Either.Either<Separator, string> => {
  const bytes = typeof text === "string" ? codec.encode(text) : Either.left("not a string")
  if (Either.isLeft(bytes) || bytes.right.length === 0) {
    return Either.left(`the separator must be a non-empty, encodable string, got ${JSON.stringify(text)}`)
  }
  return Either.right({ text: text as string, bytes: bytes.right, unit: codec.unit, codec })
}

/**
 * Where the first separator starts in `bytes[from, end)` (all of its bytes before `end`), on a
 * unit boundary: `base + at` a multiple of the unit, `base` being where `bytes` starts in the
 * counting (the stream's start, or minus a line's start). -1 when there is none.
 *
 * This is the one separator search of the package: the splitter, the line cutter and `readline`
 * use it (and `lastSeparatorEnd`, built on it).
 */
export const findSeparator = (
  bytes: Uint8Array,
  separator: Separator,
  from: number,
  end: number,
  base: number
): number => {
  const sep = separator.bytes
  const first = sep[0]!
  const last = end - sep.length
  const unit = separator.unit
  for (let at = bytes.indexOf(first, from); at !== -1 && at <= last; at = bytes.indexOf(first, at + 1)) {
    if ((base + at) % unit !== 0) continue
    let k = 1
    while (k < sep.length && bytes[at + k] === sep[k]) k++
    if (k === sep.length) return at
  }
  return -1
}

/**
 * The end of the last separator in `bytes[from, end)` as a forward split from `from` finds them, or
 * -1. A one-byte separator is searched from the end; a longer one may overlap itself ("\n\n" in
 * "\n\n\n" ends at 2, not 3), so it is scanned forward.
 */
const lastSeparatorEnd = (
  bytes: Uint8Array,
  separator: Separator,
  from: number,
  end: number,
  base: number
): number => {
  const length = separator.bytes.length
  if (length === 1 && separator.unit === 1) {
    const at = end > from ? bytes.lastIndexOf(separator.bytes[0]!, end - 1) : -1
    return at >= from ? at + 1 : -1
  }
  let last = -1
  for (let at = findSeparator(bytes, separator, from, end, base); at !== -1;) {
    last = at + length
    at = findSeparator(bytes, separator, last, end, base)
  }
  return last
}

/** `parts` in one array of `length` bytes (the part itself when it is the only one). */
const concat = (parts: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  if (parts.length === 1 && parts[0]!.length === length) return parts[0]!
  const out = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * Splits a byte stream on a separator (copying the bytes it keeps, so the caller may reuse a piece's
 * buffer once `push` returns), keeping the separator at the end of each line. The separator may be
 * several bytes and may straddle two pieces; it only matches at a unit boundary counted from the
 * stream's start.
 */
interface LineSplitter {
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

const makeLineSplitter = (separator: Separator): LineSplitter => {
  const sepLength = separator.bytes.length
  let pending: Array<Uint8Array> = []
  let pendingLength = 0
  /** Bytes of the stream before the current piece. */
  let consumed = 0
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
          ).subarray(pendingLength - tailLength)
          const at = findSeparator(window, separator, 0, window.length, base - tailLength)
          if (at !== -1 && at < tailLength) headEnd = at + sepLength - tailLength
        }
        if (headEnd === -1) {
          const at = findSeparator(piece, separator, 0, piece.length, base)
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
      const end = lastSeparatorEnd(piece, separator, start, piece.length, base)
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

/**
 * Whole lines are decoded at most about this many bytes at once. A decoded string much larger
 * lands in V8's large-object space, which made decoding 3x slower; with `transcode` (see
 * `encoding.ts`) 16-64 KiB decoded at 1.9-2.1 GB/s and 128 KiB at 0.56 GB/s.
 */
const DECODE_PIECE = 64 * 1024

/**
 * Reads the lines of a byte stream pushed piece by piece: the lines of a binary file are views of
 * the bytes (`piece`'s own while it lasts, so the caller must not reuse a piece's buffer); the lines
 * of a text file are strings, decoded (copied) before `push` returns, so the caller may.
 */
export interface LineReader<A> {
  /** Adds the lines that `piece` completes to `out`; on text that does not decode, what is wrong. */
  readonly push: (piece: Uint8Array, out: Array<A>) => string | undefined
  /** The last, unterminated line (undefined when there is none), or what is wrong with its text. */
  readonly end: () => Either.Either<A | undefined, string>
}

export const makeLineReader = <A extends string | Uint8Array>(
  separator: Separator,
  binary: boolean
): LineReader<A> => {
  const splitter = makeLineSplitter(separator)
  const { codec, text: sepText } = separator
  const sepLength = separator.bytes.length
  if (binary) {
    return {
      push: (piece, out) => {
        const lines = out as Array<Uint8Array>
        const { head, spanEnd, spanStart } = splitter.push(piece)
        if (head !== undefined) lines.push(head)
        // a line starts on a unit boundary, so each search counts from the line's start
        for (let from = spanStart; from < spanEnd;) {
          const at = findSeparator(piece, separator, from, spanEnd, -from)
          const next = at === -1 ? spanEnd : at + sepLength
          lines.push(piece.subarray(from, next))
          from = next
        }
        return undefined
      },
      end: () => {
        const rest = splitter.end()
        return Either.right(rest.length === 0 ? undefined : rest as A)
      }
    }
  }
  const first = separator.bytes[0]!
  /**
   * Where the piece of whole lines that starts at `from` (a line's start) ends: after the last
   * separator that ends within DECODE_PIECE bytes, or the first one past them; within `spanEnd`,
   * which ends with a separator.
   */
  const pieceEnd = (piece: Uint8Array, from: number, spanEnd: number): number => {
    const limit = from + DECODE_PIECE
    if (sepLength === 1 && separator.unit === 1) {
      const at = piece.lastIndexOf(first, limit - 1)
      return at >= from ? at + 1 : piece.indexOf(first, limit) + 1
    }
    // forward from the line's start: a separator may overlap itself (see `lastSeparatorEnd`)
    let end = -1
    for (let at = findSeparator(piece, separator, from, spanEnd, -from); at !== -1;) {
      if (at + sepLength > limit) return end === -1 ? at + sepLength : end
      end = at + sepLength
      at = findSeparator(piece, separator, end, spanEnd, -from)
    }
    return spanEnd
  }
  return {
    push: (piece, out) => {
      const lines = out as Array<string>
      const { head, spanEnd, spanStart } = splitter.push(piece)
      if (head !== undefined) {
        const text = codec.decode(head)
        if (Either.isLeft(text)) return text.left
        lines.push(text.right)
      }
      // The span is whole lines, decoded in pieces of whole lines of about DECODE_PIECE bytes; each
      // decoded piece splits on the separator's text at the same places as its bytes (a separator's
      // bytes match at a character boundary, and a string has only those).
      for (let from = spanStart; from < spanEnd;) {
        const to = spanEnd - from > DECODE_PIECE ? pieceEnd(piece, from, spanEnd) : spanEnd
        const text = codec.decode(piece.subarray(from, to))
        if (Either.isLeft(text)) return text.left
        const decoded = text.right
        for (let start = 0, at = decoded.indexOf(sepText); at !== -1; at = decoded.indexOf(sepText, start)) {
          lines.push(decoded.slice(start, at + sepText.length))
          start = at + sepText.length
        }
        from = to
      }
      return undefined
    },
    end: () => {
      const rest = splitter.end()
      if (rest.length === 0) return Either.right(undefined)
      return codec.decode(rest) as Either.Either<A, string>
    }
  }
}
