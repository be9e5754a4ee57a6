/**
 * A reader for the LevelDB-style immutable table ("SSTable") that TensorFlow writes as a
 * checkpoint's `.index` file. Layout, from the end of the file backwards:
 *
 *   footer (48 bytes)   metaindex BlockHandle, index BlockHandle (varint64 offset + size each),
 *                       zero padding to 40 bytes, then the magic 0xdb4775248b80fb57 (fixed64 LE)
 *   index block         one entry per data block: key >= the block's last key, value = BlockHandle
 *   metaindex block     (filter blocks; TensorFlow writes none: read only to check it)
 *   data blocks         key/value entries in ascending bytewise key order
 *
 * Every block is followed by a 5-byte trailer: a compression type byte (0 none, 1 snappy) and the
 * masked CRC32C of the block contents plus that type byte. A block's contents are entries
 *   varint32 shared | varint32 non_shared | varint32 value_length | key delta | value
 * (the key shares its first `shared` bytes with the previous key) followed by an array of uint32
 * restart offsets (entries with shared = 0) and their count as a uint32.
 *
 * Everything is read with positioned reads and checked: every length against what is left of its
 * block, every handle against the file size, every block's CRC. Bad input gives ModelFormatError.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { uncompress } from 'snappyjs';
import { IoError, ModelFormatError } from '../../errors';
import { crc32cExtend, unmaskCrc } from './crc32c';

export const FOOTER_SIZE = 48;
export const BLOCK_TRAILER_SIZE = 5;
/** 0xdb4775248b80fb57 as it appears on disk (little-endian). */
const MAGIC = Uint8Array.of(0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb);
const NO_COMPRESSION = 0;
const SNAPPY_COMPRESSION = 1;
/** Snappy's densest op (a 3-byte copy of 64 bytes) expands by less than 22x; anything more is corrupt. */
const SNAPPY_MAX_RATIO = 22;

export interface BlockHandle {
  offset: number;
  size: number;
}

export interface TableEntry {
  key: Uint8Array;
  value: Uint8Array;
  /**
   * Where the entry is, for error messages: its exact byte offset in the file when its block is
   * stored uncompressed, the block's offset when the block is snappy-compressed.
   */
  offset: number;
}

export interface Table {
  file: string;
  fileSize: number;
  entries: TableEntry[];
  /** How many blocks (data and index) were stored snappy-compressed. */
  compressedBlocks: number;
  dataBlocks: number;
}

function fail(file: string, offset: number, expected: string, detail?: string): never {
  throw new ModelFormatError({ file, offset }, expected, detail);
}

/** A varint cursor over a byte range with errors that point into the file. */
export class Cursor {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly file: string,
    /** Added to `pos` to give a file offset in errors (for a compressed block: see `exact`). */
    readonly base: number,
    start: number,
    readonly end: number,
    /** False when positions are inside a decompressed block and cannot be mapped to the file. */
    readonly exact = true,
  ) {
    this.pos = start;
  }

  where(at = this.pos): number {
    return this.exact ? this.base + at : this.base;
  }

  detail(at = this.pos): string | undefined {
    return this.exact ? undefined : `at offset ${at} of the snappy-compressed block`;
  }

  /** An unsigned varint of at most `maxBytes` bytes (5 for varint32, 10 for varint64), as a safe integer. */
  varint(what: string, maxBytes = 10): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) fail(this.file, this.where(start), what, this.detail(start) ?? 'the data ends inside a varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) fail(this.file, this.where(start), what, `value ${result} is too large`);
        return result;
      }
      scale *= 128;
    }
    return fail(this.file, this.where(start), what, `no varint ends within ${maxBytes} bytes`);
  }

  bytes(n: number, what: string): Uint8Array {
    if (n > this.end - this.pos) {
      fail(this.file, this.where(), what, `${n} bytes are needed but only ${this.end - this.pos} remain`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function u32le(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Reads exactly `length` bytes at `position`; a short file is a format error, an OS failure an IoError. */
export async function readExactly(fh: FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(out, done, Math.min(length - done, 1 << 30), position + done));
    } catch (err) {
      throw new IoError(file, err);
    }
    if (n === 0) fail(file, position + done, `${length - done} more bytes`, 'the file ends early');
    done += n;
  }
  return out;
}

/** Decodes the 48-byte footer found at `footerOffset`. */
export function decodeFooter(footer: Uint8Array, file: string, footerOffset: number): { metaindex: BlockHandle; index: BlockHandle } {
  if (footer.length !== FOOTER_SIZE) fail(file, footerOffset, `a ${FOOTER_SIZE}-byte table footer`);
  for (let i = 0; i < 8; i++) {
    if (footer[40 + i] !== MAGIC[i]) {
      fail(file, footerOffset + 40, 'the table magic number 0xdb4775248b80fb57', 'this is not a TensorFlow checkpoint index (SSTable)');
    }
  }
  const c = new Cursor(footer, file, footerOffset, 0, 40);
  const metaindex = { offset: c.varint('the metaindex block offset'), size: c.varint('the metaindex block size') };
  const index = { offset: c.varint('the index block offset'), size: c.varint('the index block size') };
  return { metaindex, index };
}

function checkHandle(h: BlockHandle, file: string, limit: number, at: number, what: string): void {
  if (h.offset + h.size + BLOCK_TRAILER_SIZE > limit) {
    fail(file, at, `a ${what} handle inside the file`, `the block at ${h.offset} (${h.size} bytes + trailer) runs past byte ${limit}`);
  }
}

interface Block {
  contents: Uint8Array;
  compressed: boolean;
}

/** Reads one block and its trailer, checks the CRC, and decompresses it when needed. */
async function readBlock(fh: FileHandle, file: string, h: BlockHandle, what: string): Promise<Block> {
  const raw = await readExactly(fh, file, h.offset, h.size + BLOCK_TRAILER_SIZE);
  const type = raw[h.size];
  const stored = unmaskCrc(u32le(raw, h.size + 1));
  const actual = crc32cExtend(0, raw, 0, h.size + 1);
  if (stored !== actual) {
    fail(
      file,
      h.offset + h.size + 1,
      `the CRC32C of the ${what} at byte ${h.offset}`,
      `stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')}`,
    );
  }
  const body = raw.subarray(0, h.size);
  if (type === NO_COMPRESSION) return { contents: body, compressed: false };
  if (type === SNAPPY_COMPRESSION) {
    let out: Uint8Array;
    try {
      out = uncompress(new Uint8Array(body.buffer, body.byteOffset, body.length), SNAPPY_MAX_RATIO * body.length + 32);
    } catch (err) {
      return fail(file, h.offset, `a valid snappy-compressed ${what}`, err instanceof Error ? err.message : String(err));
    }
    return { contents: out, compressed: true };
  }
  return fail(file, h.offset + h.size, 'block compression type 0 (none) or 1 (snappy)', `found ${type}`);
}

/**
 * Decodes the entries of one block. `blockOffset` is where the block starts in the file; for a
 * compressed block error offsets point at the block.
 */
export function decodeBlock(block: Block, file: string, blockOffset: number): TableEntry[] {
  const { contents, compressed } = block;
  const exact = !compressed;
  const at = (p: number) => (exact ? blockOffset + p : blockOffset);
  const detail = (p: number) => (exact ? undefined : `at offset ${p} of the snappy-compressed block`);
  if (contents.length < 4) fail(file, at(0), 'a block of at least 4 bytes (the restart count)', `${contents.length} bytes`);
  const numRestarts = u32le(contents, contents.length - 4);
  const maxRestarts = Math.floor((contents.length - 4) / 4);
  if (numRestarts > maxRestarts) {
    fail(file, at(contents.length - 4), `a restart count of at most ${maxRestarts}`, `found ${numRestarts}`);
  }
  const restartsStart = contents.length - 4 - 4 * numRestarts;
  const c = new Cursor(contents, file, blockOffset, 0, restartsStart, exact);
  const entries: TableEntry[] = [];
  const starts = new Map<number, number>(); // entry start -> shared
  let prev: Uint8Array = new Uint8Array(0);
  while (c.pos < restartsStart) {
    const start = c.pos;
    const shared = c.varint('the shared key length (varint32)', 5);
    const nonShared = c.varint('the unshared key length (varint32)', 5);
    const valueLength = c.varint('the value length (varint32)', 5);
    if (shared > prev.length) {
      fail(file, at(start), `a shared key length of at most ${prev.length}`, detail(start) ?? `found ${shared}`);
    }
    const delta = c.bytes(nonShared, 'the key bytes');
    const value = c.bytes(valueLength, 'the value bytes');
    const key = new Uint8Array(shared + nonShared);
    key.set(prev.subarray(0, shared), 0);
    key.set(delta, shared);
    if (entries.length > 0 && compareBytes(key, prev) <= 0) {
      fail(file, at(start), 'keys in ascending order', detail(start) ?? 'a key is not greater than the one before it');
    }
    starts.set(start, shared);
    entries.push({ key, value, offset: at(start) });
    prev = key;
  }
  for (let i = 0; i < numRestarts; i++) {
    const r = u32le(contents, restartsStart + 4 * i);
    if (entries.length === 0 ? r !== 0 : starts.get(r) !== 0) {
      fail(file, at(restartsStart + 4 * i), 'a restart offset at an entry with no shared key bytes', detail(restartsStart + 4 * i) ?? `offset ${r}`);
    }
  }
  return entries;
}

/** Reads a whole table: every entry of every data block, in key order. */
export async function readTable(file: string): Promise<Table> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new IoError(file, err);
  }
  try {
    let fileSize: number;
    try {
      fileSize = (await fh.stat()).size;
    } catch (err) {
      throw new IoError(file, err);
    }
    if (fileSize < FOOTER_SIZE) fail(file, 0, `a table of at least ${FOOTER_SIZE} bytes (the footer)`, `the file has ${fileSize} bytes`);
    const footerOffset = fileSize - FOOTER_SIZE;
    const footer = decodeFooter(await readExactly(fh, file, footerOffset, FOOTER_SIZE), file, footerOffset);
    checkHandle(footer.metaindex, file, footerOffset, footerOffset, 'metaindex block');
    checkHandle(footer.index, file, footerOffset, footerOffset, 'index block');

    // TensorFlow writes no filter blocks, so the metaindex is empty; it is still read and checked.
    decodeBlock(await readBlock(fh, file, footer.metaindex, 'metaindex block'), file, footer.metaindex.offset);
    const indexBlock = await readBlock(fh, file, footer.index, 'index block');
    const indexEntries = decodeBlock(indexBlock, file, footer.index.offset);
    const entries: TableEntry[] = [];
    let compressedBlocks = indexBlock.compressed ? 1 : 0;
    let lastKey: Uint8Array | undefined;
    for (const ie of indexEntries) {
      const c = new Cursor(ie.value, file, ie.offset, 0, ie.value.length, false);
      const handle = { offset: c.varint('a data block offset'), size: c.varint('a data block size') };
      checkHandle(handle, file, footerOffset, ie.offset, 'data block');
      const block = await readBlock(fh, file, handle, 'data block');
      if (block.compressed) compressedBlocks++;
      for (const e of decodeBlock(block, file, handle.offset)) {
        if (lastKey && compareBytes(e.key, lastKey) <= 0) {
          fail(file, e.offset, 'keys in ascending order across blocks', 'a block starts with a key not greater than the previous block');
        }
        if (compareBytes(e.key, ie.key) > 0) {
          fail(file, e.offset, 'a key no greater than its index entry', 'the index block does not cover this data block');
        }
        entries.push(e);
        lastKey = e.key;
      }
    }
    return { file, fileSize, entries, compressedBlocks, dataBlocks: indexEntries.length };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
