/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as LevelDB and TensorFlow use it, with
 * LevelDB's masking for checksums stored next to the data they cover. Slicing-by-8 tables: a
 * variable can be gigabytes, and this runs over every byte that is read.
 */

const POLY = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[b] = c >>> 0;
  }
  t.push(t0);
  for (let k = 1; k < 8; k++) {
    const prev = t[k - 1];
    const tk = new Uint32Array(256);
    for (let b = 0; b < 256; b++) tk[b] = (prev[b] >>> 8) ^ t0[prev[b] & 0xff];
    t.push(tk);
  }
  return t;
})();

/**
 * Extends `crc` (the CRC of the bytes before `data`; 0 to start) over `data[start, end)`.
 * `crc32cExtend(crc32cExtend(0, a), b)` equals the CRC of a followed by b.
 */
export function crc32cExtend(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc >>> 0;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  for (; i < end8; i += 8) {
    const lo = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    c =
      t7[lo & 0xff] ^
      t6[(lo >>> 8) & 0xff] ^
      t5[(lo >>> 16) & 0xff] ^
      t4[lo >>> 24] ^
      t3[data[i + 4]] ^
      t2[data[i + 5]] ^
      t1[data[i + 6]] ^
      t0[data[i + 7]];
  }
  for (; i < end; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC32C of `data`. */
export function crc32c(data: Uint8Array): number {
  return crc32cExtend(0, data);
}

const MASK_DELTA = 0xa282ead8;

/**
 * LevelDB's mask: a CRC stored inside data that is itself checksummed is rotated and offset, so
 * that computing a CRC over a string with embedded CRCs stays well distributed.
 */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
