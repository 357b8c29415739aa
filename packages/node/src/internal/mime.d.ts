// mime 3 ships no type declarations; this is the one call made here.
declare module "mime" {
  const mime: {
    /** The media type for a path's extension, or null when it has none known. */
    readonly getType: (path: string) => string | null
  }
  export default mime
}
