/**
 * A reader for TensorFlow's TensorBundle checkpoint format, the `variables/` folder of a
 * SavedModel: `<prefix>.index` (an SSTable mapping checkpoint keys to BundleEntryProto) and
 * `<prefix>.data-NNNNN-of-MMMMM` (the raw tensor bytes, one file per shard).
 *
 * The index is read once at open. Values are read on demand with positioned reads of exactly the
 * entry's bytes, and checked against the entry's CRC32C before they are returned.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { IoError, ModelFormatError, ModelNotFoundError, UsageError } from '../../errors';
import type { DTypeName, VariableInfo } from '../types';
import { crc32cExtend, unmaskCrc } from './crc32c';
import { DT_STRING, DT_VARIANT, dtypeName, numericLayout, type NumericArray } from './dtypes';
import { decodeEntry, decodeHeader, ENDIANNESS_BIG, ENDIANNESS_LITTLE, type BundleEntry, type BundleHeader } from './proto';
import { Cursor, readExactly, readTable } from './sstable';

/** The newest bundle format version this reader understands (TensorFlow's kTensorBundleVersion). */
const BUNDLE_VERSION = 1;

export type TensorData = NumericArray | string[];

export interface TensorValue {
  dtype: DTypeName;
  shape: number[];
  /**
   * The elements in row-major order. Float32Array for DT_FLOAT, Int32Array for DT_INT32,
   * BigInt64Array for DT_INT64, Uint8Array for DT_BOOL/DT_UINT8 (0 or 1 for bool), Uint16Array of
   * raw bit patterns for DT_HALF and DT_BFLOAT16, interleaved (re, im) Float32Array/Float64Array for
   * DT_COMPLEX64/128, string[] (UTF-8 decoded) for DT_STRING. For DT_VARIANT: the entry's raw bytes.
   */
  data: TensorData;
  /**
   * DT_STRING: each element's bytes (a string tensor can hold binary data such as a serialized
   * proto, which UTF-8 decoding would damage). DT_VARIANT: each element's serialized
   * VariantTensorDataProto.
   */
  bytes?: Uint8Array[];
}

export interface TensorBundle {
  /** The folder that holds the bundle. */
  readonly dir: string;
  /** The file name prefix, "variables" in a SavedModel. */
  readonly prefix: string;
  readonly header: BundleHeader;
  /** Every variable (not the header, not the internal slice entries of partitioned variables), sorted by key. */
  list(): VariableInfo[];
  has(key: string): boolean;
  /** Reads and checks one variable's value. */
  read(key: string): Promise<TensorValue>;
}

interface Located {
  entry: BundleEntry;
  /** Where the entry is in the index file, for errors. */
  at: number;
}

const utf8 = new TextDecoder('utf-8');
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** `<prefix>.data-00000-of-00001`, as TensorFlow's DataFilename names it. */
export function dataFilename(prefix: string, shard: number, numShards: number): string {
  return `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

/** Opens the bundle `<variablesDir>/<prefix>.index` and reads its index. */
export async function openBundle(variablesDir: string, prefix = 'variables'): Promise<TensorBundle> {
  const indexFile = join(variablesDir, `${prefix}.index`);
  try {
    await stat(indexFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ModelNotFoundError(
        variablesDir,
        `there is no ${prefix}.index`,
        'A SavedModel keeps its variables in variables/variables.index and variables.data-*.',
      );
    }
    throw new IoError(indexFile, err);
  }
  const table = await readTable(indexFile);
  const first = table.entries[0];
  if (!first || first.key.length !== 0) {
    throw new ModelFormatError({ file: indexFile, offset: first?.offset ?? 0 }, 'the BundleHeaderProto entry (empty key) first');
  }
  const header = decodeHeader(first.value, { file: indexFile, offset: first.offset, what: 'the header entry' });
  if (header.endianness === ENDIANNESS_BIG) {
    throw new ModelFormatError(
      { file: indexFile, offset: first.offset },
      'a little-endian bundle',
      'the header says the data files are big-endian',
      'Re-save the checkpoint on a little-endian machine (x86-64 or ARM).',
    );
  }
  if (header.endianness !== ENDIANNESS_LITTLE) {
    throw new ModelFormatError({ file: indexFile, offset: first.offset }, 'endianness 0 (little) or 1 (big)', `found ${header.endianness}`);
  }
  if (header.version.minConsumer > BUNDLE_VERSION || header.version.badConsumers.includes(BUNDLE_VERSION)) {
    throw new ModelFormatError(
      { file: indexFile, offset: first.offset },
      `a bundle readable by format version ${BUNDLE_VERSION}`,
      `min_consumer ${header.version.minConsumer}, bad_consumers [${header.version.badConsumers.join(', ')}]`,
      'The checkpoint was written by a newer TensorFlow in a format ServeLens does not read.',
    );
  }

  const entries = new Map<string, Located>();
  for (let i = 1; i < table.entries.length; i++) {
    const e = table.entries[i];
    // Keys that begin with a 0 byte are the slices of partitioned variables, found through the full entry.
    if (e.key[0] === 0) continue;
    const key = utf8.decode(e.key);
    const entry = decodeEntry(e.value, { file: indexFile, offset: e.offset, what: `the entry for key "${key}"` });
    if (entry.shardId >= header.numShards) {
      throw new ModelFormatError(
        { file: indexFile, offset: e.offset },
        `a shard_id below num_shards (${header.numShards})`,
        `the entry for key "${key}" has shard_id ${entry.shardId}`,
      );
    }
    entries.set(key, { entry, at: e.offset });
  }
  return new Bundle(variablesDir, prefix, indexFile, header, entries);
}

class Bundle implements TensorBundle {
  constructor(
    readonly dir: string,
    readonly prefix: string,
    private readonly indexFile: string,
    readonly header: BundleHeader,
    private readonly entries: Map<string, Located>,
  ) {}

  list(): VariableInfo[] {
    return [...this.entries]
      .map(([key, { entry }]) => ({
        key,
        dtype: dtypeName(entry.dtype),
        shape: [...entry.shape],
        bytes: entry.size,
        shard: entry.shardId,
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  async read(key: string): Promise<TensorValue> {
    const located = this.entries.get(key);
    if (!located) {
      throw new UsageError(`The checkpoint in ${this.dir} has no variable "${key}".`, 'List the variables to see the keys it has.');
    }
    const { entry, at } = located;
    const dtype = dtypeName(entry.dtype);
    const what = `variable "${key}"`;
    if (entry.slices.length > 0) {
      throw new ModelFormatError(
        { file: this.indexFile, offset: at },
        'an unpartitioned variable',
        `${what} is stored in ${entry.slices.length} slices`,
        'ServeLens does not reassemble partitioned variables; re-save the model without partitioning.',
      );
    }
    const count = elementCount(entry.shape, this.indexFile, at, what);
    const layout = numericLayout(entry.dtype);
    if (layout) {
      if (count * layout.elementBytes !== entry.size) {
        throw new ModelFormatError(
          { file: this.indexFile, offset: at },
          `${count * layout.elementBytes} bytes for ${what} (${count} × ${layout.elementBytes}-byte ${dtype})`,
          `the entry says ${entry.size}`,
        );
      }
    } else if (entry.dtype === DT_STRING) {
      // At least one varint byte per element plus the 4-byte length checksum; no data at all for an empty tensor.
      if (entry.size === 0 ? count !== 0 : entry.size < count + 4) {
        throw new ModelFormatError(
          { file: this.indexFile, offset: at },
          `at least ${count + 4} bytes for ${what} (${count} strings)`,
          `the entry says ${entry.size}`,
        );
      }
    } else if (entry.dtype !== DT_VARIANT) {
      throw new ModelFormatError({ file: this.indexFile, offset: at }, 'a dtype that a checkpoint stores', `${what} has ${dtype}`);
    }

    const file = join(this.dir, dataFilename(this.prefix, entry.shardId, this.header.numShards));
    const raw = await readData(file, entry.offset, entry.size, what);
    if (layout) {
      const actual = crc32cExtend(0, raw);
      checkCrc(file, entry, actual, what);
      if (endianness() === 'BE') swapLanes(raw, layout.laneBytes);
      return { dtype, shape: [...entry.shape], data: layout.view(raw.buffer as ArrayBuffer, raw.byteOffset, entry.size / layout.laneBytes) };
    }
    if (entry.dtype === DT_STRING) {
      const { strings, crc } = decodeStrings(raw, count, file, entry.offset, what);
      checkCrc(file, entry, crc, what);
      return { dtype, shape: [...entry.shape], data: strings.map((s) => utf8.decode(s)), bytes: strings };
    }
    const { elements, crc } = decodeVariants(raw, count, file, entry.offset, what);
    checkCrc(file, entry, crc, what);
    return { dtype, shape: [...entry.shape], data: raw, bytes: elements };
  }
}

/** The number of elements of a shape, refusing products that are not safe integers. */
function elementCount(shape: number[], file: string, at: number, what: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) {
      throw new ModelFormatError({ file, offset: at }, 'a tensor shape with fewer than 2^53 elements', `${what} has shape [${shape.join(', ')}]`);
    }
  }
  return n;
}

/** Reads `size` bytes at `offset` of a data file, after checking that they lie inside it. */
async function readData(file: string, offset: number, size: number, what: string): Promise<Uint8Array> {
  if (size === 0) return new Uint8Array(0);
  if (size > MAX_LENGTH) {
    throw new IoError(file, new Error(`${what} has ${size} bytes, more than one buffer can hold (${MAX_LENGTH})`));
  }
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
    if (offset + size > fileSize) {
      throw new ModelFormatError(
        { file, offset: Math.min(offset, fileSize) },
        `${size} bytes of ${what} at byte ${offset}`,
        `the file has only ${fileSize} bytes`,
      );
    }
    return await readExactly(fh, file, offset, size);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function checkCrc(file: string, entry: BundleEntry, actual: number, what: string): void {
  const stored = unmaskCrc(entry.crc32c);
  if (stored !== actual) {
    throw new ModelFormatError(
      { file, offset: entry.offset },
      `data matching the CRC32C of ${what}`,
      `stored ${hex(stored)}, computed ${hex(actual)} over ${entry.size} bytes`,
    );
  }
}

function swapLanes(buf: Uint8Array, lane: number): void {
  if (lane === 1) return;
  for (let i = 0; i + lane <= buf.length; i += lane) buf.subarray(i, i + lane).reverse();
}

/** Extends a CRC with a length as TensorFlow checksums it: uint32 LE when it fits, else uint64 LE. */
function extendLength(crc: number, length: number): number {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  if (length <= 0xffffffff) {
    dv.setUint32(0, length, true);
    return crc32cExtend(crc, b, 0, 4);
  }
  dv.setBigUint64(0, BigInt(length), true);
  return crc32cExtend(crc, b, 0, 8);
}

/**
 * DT_STRING layout: `count` varint64 lengths, the masked CRC32C of those lengths (as uint32 or
 * uint64 values, not their varint bytes), then the string bytes. The entry's CRC covers the
 * lengths (as checksummed), the 4 checksum bytes and the string bytes.
 */
function decodeStrings(raw: Uint8Array, count: number, file: string, base: number, what: string): { strings: Uint8Array[]; crc: number } {
  if (raw.length === 0) return { strings: [], crc: 0 };
  const c = new Cursor(raw, file, base, 0, raw.length);
  const lengths = new Array<number>(count);
  let crc = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const n = c.varint(`the length of string ${i} of ${what} (varint64)`);
    lengths[i] = n;
    total += n;
    crc = extendLength(crc, n);
  }
  const lenCrcAt = c.pos;
  const stored = c.bytes(4, `the length checksum of ${what}`);
  const storedCrc = unmaskCrc((stored[0] | (stored[1] << 8) | (stored[2] << 16) | (stored[3] << 24)) >>> 0);
  if (storedCrc !== crc) {
    throw new ModelFormatError(
      { file, offset: base + lenCrcAt },
      `the CRC32C of the string lengths of ${what}`,
      `stored ${hex(storedCrc)}, computed ${hex(crc)}`,
    );
  }
  crc = crc32cExtend(crc, stored);
  if (total !== raw.length - c.pos) {
    throw new ModelFormatError(
      { file, offset: base + c.pos },
      `${total} string bytes for ${what}, as the lengths say`,
      `${raw.length - c.pos} bytes remain in the entry`,
    );
  }
  const strings = lengths.map((n, i) => c.bytes(n, `string ${i} of ${what}`));
  crc = crc32cExtend(crc, raw, lenCrcAt + 4, raw.length);
  return { strings, crc };
}

/**
 * DT_VARIANT layout, per element: varint64 length, the serialized VariantTensorDataProto, then the
 * masked running CRC32C (which covers the length as uint64, the bytes, and earlier checksums).
 */
function decodeVariants(raw: Uint8Array, count: number, file: string, base: number, what: string): { elements: Uint8Array[]; crc: number } {
  if (raw.length === 0) return { elements: [], crc: 0 };
  if (count > raw.length) {
    throw new ModelFormatError({ file, offset: base }, `at least ${count} bytes for ${what}`, `the entry has ${raw.length}`);
  }
  const c = new Cursor(raw, file, base, 0, raw.length);
  const elements: Uint8Array[] = [];
  const len = new Uint8Array(8);
  const dv = new DataView(len.buffer);
  let crc = 0;
  for (let i = 0; i < count; i++) {
    const n = c.varint(`the length of element ${i} of ${what} (varint64)`);
    dv.setBigUint64(0, BigInt(n), true);
    crc = crc32cExtend(crc, len);
    const bytes = c.bytes(n, `element ${i} of ${what}`);
    crc = crc32cExtend(crc, bytes);
    const at = c.pos;
    const stored = c.bytes(4, `the checksum after element ${i} of ${what}`);
    const storedCrc = unmaskCrc((stored[0] | (stored[1] << 8) | (stored[2] << 16) | (stored[3] << 24)) >>> 0);
    if (storedCrc !== crc) {
      throw new ModelFormatError({ file, offset: base + at }, `the CRC32C after element ${i} of ${what}`, `stored ${hex(storedCrc)}, computed ${hex(crc)}`);
    }
    crc = crc32cExtend(crc, stored);
    elements.push(bytes);
  }
  if (c.pos !== raw.length) {
    throw new ModelFormatError({ file, offset: base + c.pos }, `the end of ${what}`, `${raw.length - c.pos} bytes left over`);
  }
  return { elements, crc };
}
