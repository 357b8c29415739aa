import * as Either from "effect/Either"

/**
 * A strict text codec: encoding fails on a string it cannot represent (a lone surrogate, a character
 * outside latin1 or ascii), decoding fails on malformed input (a cut multibyte character).
 * Each failure is a description of what was wrong.
 */
export interface Codec {
  readonly name: CanonicalEncoding
  /** The size of a code unit in bytes: a character never starts at an offset that is not a multiple. */
  readonly unit: number
  readonly encode: (text: string) => Either.Either<Uint8Array, string>
  readonly decode: (bytes: Uint8Array) => Either.Either<string, string>
  /** A decoder for bytes that arrive in pieces: a character cut between two pieces is kept for the next. */
  readonly incremental: () => IncrementalDecoder
  /** The encoded size of a well-formed string. */
  readonly byteLength: (text: string) => number
  /**
   * An encoder of several texts, one after the other, into a buffer of its own, grown as needed,
   * instead of a fresh one per call: each result is valid until the encoder's next call (what a
   * writer that waits for its write needs, without an allocation per write). UTF-8 reuses its
   * buffer and encodes each text where the last ended (no joined string: measured faster than
   * `join` then one encode, for the lines of a chunk); the other encodings, rarely streamed in bulk,
   * join and encode afresh.
   */
  readonly reusingEncoder: () => (texts: ReadonlyArray<string>) => Either.Either<Uint8Array, string>
}

/** Decodes a byte stream piece by piece; `end` fails when the stream stops inside a character. */
export interface IncrementalDecoder {
  readonly push: (bytes: Uint8Array) => Either.Either<string, string>
  readonly end: () => Either.Either<string, string>
}

const utf8ByteLength = (text: string): number => {
  let length = text.length
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) continue
    // 2 bytes below U+0800, 3 for the rest of the BMP, 4 for a surrogate pair (2 units)
    length += unit < 0x800 ? 1 : 2
    if (unit >= 0xd800 && unit < 0xdc00) i++
  }
  return length
}

const utf8Encoder = new TextEncoder()

/**
 * The parts of Node's `node:buffer` that decode faster than `TextDecoder`, when the runtime has them
 * (Node >= 20.16 and Bun have `process.getBuiltinModule`; elsewhere the codecs use `TextDecoder`
 * alone). Measured on Node 20.20 over the bench's JSONL text (mixed ASCII, Hangul, kana, emoji), in
 * pieces of whole lines of 64 KiB: a fatal `TextDecoder` decodes 150-180 MB/s and a non-fatal one
 * 340-360 MB/s (V8's UTF-8 decoder), while `isUtf8` (simdutf) validates at 2.5-8 GB/s,
 * `transcode` to UTF-16 (ICU's `u_strFromUTF8`) then `ucs2Slice` decodes 1.2-2 GB/s from 4 KiB
 * pieces on (below 1 KiB its buffer costs more than it saves), and `latin1Slice` copies ASCII
 * at about 4 GB/s. Each is checked once here, so a runtime that has a different one keeps
 * `TextDecoder`.
 */
interface FastBuffer {
  readonly isAscii: (bytes: Uint8Array) => boolean
  readonly isUtf8: (bytes: Uint8Array) => boolean
  /** A latin1 string of the bytes (one byte, one character). */
  readonly latin1: (bytes: Uint8Array) => string
  /** The UTF-16 text of well-formed UTF-8. */
  readonly wellFormedUtf8: (bytes: Uint8Array) => string
}

/** Below this many bytes `transcode`'s buffer costs more than it saves (measured above). */
const TRANSCODE_MIN = 1024

const fastBuffer = ((): FastBuffer | undefined => {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const buffer = process?.getBuiltinModule?.("node:buffer") as {
      readonly Buffer?: { readonly prototype?: Record<string, unknown> }
      readonly isAscii?: (bytes: Uint8Array) => boolean
      readonly isUtf8?: (bytes: Uint8Array) => boolean
      readonly transcode?: (bytes: Uint8Array, from: "utf8", to: "ucs2") => Uint8Array
    } | undefined
    const prototype = buffer?.Buffer?.prototype
    if (
      buffer === undefined || typeof buffer.isAscii !== "function" || typeof buffer.isUtf8 !== "function" ||
      typeof buffer.transcode !== "function" || typeof prototype?.latin1Slice !== "function" ||
      typeof prototype.ucs2Slice !== "function" || typeof prototype.utf8Slice !== "function"
    ) return undefined
    type Slice = (this: Uint8Array, start: number, end: number) => string
    const latin1Slice = prototype.latin1Slice as Slice
    const ucs2Slice = prototype.ucs2Slice as Slice
    const utf8Slice = prototype.utf8Slice as Slice
    const { isAscii, isUtf8, transcode } = buffer as Required<typeof buffer>
    const fast: FastBuffer = {
      isAscii,
      isUtf8,
      latin1: (bytes) => latin1Slice.call(bytes, 0, bytes.length),
      wellFormedUtf8: (bytes) => {
        if (bytes.length < TRANSCODE_MIN) return utf8Slice.call(bytes, 0, bytes.length)
        const utf16 = transcode(bytes, "utf8", "ucs2")
        return ucs2Slice.call(utf16, 0, utf16.length)
      }
    }
    // the same answers as TextDecoder, or not used: a BOM kept, a supplementary character, bad bytes
    const sample = "\ufeffa\u00e9\u0a0a\u{1f642}".repeat(TRANSCODE_MIN)
    const bytes = utf8Encoder.encode(sample)
    const ok = fast.wellFormedUtf8(bytes) === sample &&
      fast.wellFormedUtf8(bytes.subarray(0, 9)) === sample.slice(0, 4) &&
      fast.latin1(Uint8Array.of(0x63, 0xe9, 0x80)) === "c\u00e9\u0080" && !isUtf8(Uint8Array.of(0xed, 0xa0, 0x80)) &&
      isUtf8(bytes) && !isAscii(bytes) && isAscii(Uint8Array.of(0x7f))
    return ok ? fast : undefined
  } catch {
    return undefined
  }
})()

const decoderCodec = (name: CanonicalEncoding, label: string): Codec => {
  const newDecoder = () => new TextDecoder(label, { fatal: true, ignoreBOM: true })
  const decoder = newDecoder()
  const malformed = `the bytes are not valid ${name} (a character is cut or malformed)`
  const loneSurrogate = `the text holds a lone surrogate, which ${name} cannot encode`
  return {
    name,
    unit: label === "utf-8" ? 1 : 2,
    byteLength: label === "utf-8" ? utf8ByteLength : (text) => text.length * 2,
    incremental: () => {
      const decoder = newDecoder()
      const attempt = (f: () => string): Either.Either<string, string> => {
        try {
          return Either.right(f())
        } catch {
          return Either.left(malformed)
        }
      }
      return {
        push: (bytes) => attempt(() => decoder.decode(bytes, { stream: true })),
        end: () => attempt(() => decoder.decode())
      }
    },
    encode: (text) =>
      text.isWellFormed()
        ? Either.right(label === "utf-8" ? utf8Encoder.encode(text) : encodeUtf16le(text))
        : Either.left(loneSurrogate),
    reusingEncoder: () => {
      if (label !== "utf-8") {
        return (texts) => {
          const text = texts.join("")
          return text.isWellFormed() ? Either.right(encodeUtf16le(text)) : Either.left(loneSurrogate)
        }
      }
      let buffer = new Uint8Array(0)
      return (texts) => {
        let units = 0
        for (const text of texts) {
          if (!text.isWellFormed()) return Either.left(loneSurrogate)
          units += text.length
        }
        // at most 3 bytes per UTF-16 unit (a surrogate pair's 4 bytes are 2 units)
        if (buffer.length < units * 3) buffer = new Uint8Array(Math.max(units * 3, buffer.length * 2))
        let length = 0
        for (const text of texts) length += utf8Encoder.encodeInto(text, buffer.subarray(length)).written
        return Either.right(buffer.subarray(0, length))
      }
    },
    decode: label === "utf-8" && fastBuffer !== undefined
      ? (bytes) =>
        fastBuffer.isAscii(bytes)
          ? Either.right(fastBuffer.latin1(bytes))
          : fastBuffer.isUtf8(bytes)
          ? Either.right(fastBuffer.wellFormedUtf8(bytes))
          : Either.left(malformed)
      : (bytes) => {
        try {
          return Either.right(decoder.decode(bytes))
        } catch {
          return Either.left(malformed)
        }
      }
  }
}

const encodeUtf16le = (text: string): Uint8Array => {
  const bytes = new Uint8Array(text.length * 2)
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    bytes[2 * i] = unit & 0xff
    bytes[2 * i + 1] = unit >> 8
  }
  return bytes
}

const singleByteCodec = (name: CanonicalEncoding, limit: number): Codec => {
  const codec: Codec = {
    name,
    unit: 1,
    byteLength: (text) => text.length,
    incremental: () => ({ push: codec.decode, end: () => Either.right("") }),
    reusingEncoder: () => (texts) => codec.encode(texts.join("")),
    encode: (text) => {
      const bytes = new Uint8Array(text.length)
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i)
        if (unit > limit) return Either.left(`character ${JSON.stringify(text[i])} at ${i} is not in ${name}`)
        bytes[i] = unit
      }
      return Either.right(bytes)
    },
    decode: fastBuffer !== undefined
      ? (bytes) =>
        limit < 0xff && !fastBuffer.isAscii(bytes)
          ? Either.left(`the bytes are not valid ${name} (a byte above 0x7f)`)
          : Either.right(fastBuffer.latin1(bytes))
      : (bytes) => {
        let text = ""
        for (let start = 0; start < bytes.length; start += 8192) {
          const chunk = bytes.subarray(start, start + 8192)
          if (limit < 0xff && chunk.some((byte) => byte > limit)) {
            return Either.left(`the bytes are not valid ${name} (a byte above 0x7f)`)
          }
          text += String.fromCharCode(...chunk)
        }
        return Either.right(text)
      }
  }
  return codec
}

/** The canonical names of the supported encodings (what a file's `encoding` reports). */
export type CanonicalEncoding = "utf-8" | "utf-16le" | "latin1" | "ascii"

/**
 * One codec per encoding, made once: a codec holds no state between calls (its incremental decoders
 * and reusing encoders are made per use), so every file, stream and line reader of an encoding
 * shares it, and `codecFor` of a file's canonical `encoding` is a lookup.
 */
const codecs: { readonly [name in CanonicalEncoding]: Codec } = {
  "utf-8": decoderCodec("utf-8", "utf-8"),
  "utf-16le": decoderCodec("utf-16le", "utf-16le"),
  "latin1": singleByteCodec("latin1", 0xff),
  "ascii": singleByteCodec("ascii", 0x7f)
}

const aliases = {
  "utf8": "utf-8",
  "utf16le": "utf-16le",
  "utf-16-le": "utf-16le",
  "iso-8859-1": "latin1",
  "latin-1": "latin1",
  "us-ascii": "ascii"
} as const satisfies Record<string, CanonicalEncoding>

/** Every name an encoding is known by, in lowercase: the canonical names and their aliases. */
export type Encoding = CanonicalEncoding | keyof typeof aliases

/** The encodings a text file may use, by their canonical names. */
export const encodings: ReadonlyArray<CanonicalEncoding> = Object.keys(codecs) as Array<CanonicalEncoding>

/** Every name `codecFor` knows (canonical names, then aliases), in lowercase. */
export const encodingNames: ReadonlyArray<Encoding> = [...encodings, ...Object.keys(aliases) as Array<Encoding>]

/** The codec of an encoding name (case-insensitive, common aliases accepted), if supported. */
export const codecFor = (encoding: string): Codec | undefined => {
  const key = encoding.toLowerCase()
  const name = Object.hasOwn(aliases, key) ? aliases[key as keyof typeof aliases] : key
  return Object.hasOwn(codecs, name) ? codecs[name as CanonicalEncoding] : undefined
}
