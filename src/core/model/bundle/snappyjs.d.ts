/** Type declaration for the `snappyjs` package (pure JavaScript Snappy), which ships none. */
declare module 'snappyjs' {
  /**
   * Decompresses a raw Snappy block. Throws when the stream is invalid or when its declared
   * uncompressed length exceeds `maxLength`.
   */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
