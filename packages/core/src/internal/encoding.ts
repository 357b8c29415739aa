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
    decode: (bytes) => {
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
    decode: (bytes) => {
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

const codecs: { readonly [name in CanonicalEncoding]: () => Codec } = {
  "utf-8": () => decoderCodec("utf-8", "utf-8"),
  "utf-16le": () => decoderCodec("utf-16le", "utf-16le"),
  "latin1": () => singleByteCodec("latin1", 0xff),
  "ascii": () => singleByteCodec("ascii", 0x7f)
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
  return Object.hasOwn(codecs, name) ? codecs[name as CanonicalEncoding]() : undefined
}
