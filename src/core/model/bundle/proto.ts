/**
 * The small protobuf messages of a TensorBundle index: BundleHeaderProto (the entry with the empty
 * key) and BundleEntryProto (every other entry), decoded with protobufjs from a schema of our own.
 * Enum fields are declared int32 so that values this reader does not know survive as numbers.
 * Results are plain objects with safe integers; anything out of range is a ModelFormatError.
 */
import { Root, type Type } from 'protobufjs';
import { ModelFormatError } from '../../errors';

const root = Root.fromJSON({
  nested: {
    bundle: {
      nested: {
        VersionDef: {
          fields: {
            producer: { type: 'int32', id: 1 },
            minConsumer: { type: 'int32', id: 2 },
            badConsumers: { rule: 'repeated', type: 'int32', id: 3 },
          },
        },
        BundleHeaderProto: {
          fields: {
            numShards: { type: 'int32', id: 1 },
            endianness: { type: 'int32', id: 2 },
            version: { type: 'VersionDef', id: 3 },
          },
        },
        Dim: {
          fields: {
            size: { type: 'int64', id: 1 },
            name: { type: 'string', id: 2 },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dim', id: 2 },
            unknownRank: { type: 'bool', id: 3 },
          },
        },
        Extent: {
          oneofs: { hasLength: { oneof: ['length'] } },
          fields: {
            start: { type: 'int64', id: 1 },
            length: { type: 'int64', id: 2 },
          },
        },
        TensorSliceProto: {
          fields: {
            extent: { rule: 'repeated', type: 'Extent', id: 1 },
          },
        },
        BundleEntryProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            shape: { type: 'TensorShapeProto', id: 2 },
            shardId: { type: 'int32', id: 3 },
            offset: { type: 'int64', id: 4 },
            size: { type: 'int64', id: 5 },
            crc32c: { type: 'fixed32', id: 6 },
            slices: { rule: 'repeated', type: 'TensorSliceProto', id: 7 },
          },
        },
      },
    },
  },
});

const HeaderType = root.lookupType('bundle.BundleHeaderProto');
const EntryType = root.lookupType('bundle.BundleEntryProto');

export const ENDIANNESS_LITTLE = 0;
export const ENDIANNESS_BIG = 1;

export interface BundleHeader {
  numShards: number;
  /** 0 little-endian, 1 big-endian (BundleHeaderProto.Endianness). */
  endianness: number;
  version: { producer: number; minConsumer: number; badConsumers: number[] };
}

/** One extent of a slice: `length` null means "the whole dimension". */
export interface SliceExtent {
  start: number;
  length: number | null;
}

export interface BundleEntry {
  /** The DataType enum value. */
  dtype: number;
  shape: number[];
  shardId: number;
  offset: number;
  size: number;
  /** The masked CRC32C as stored. */
  crc32c: number;
  /** Non-empty for a partitioned variable whose slices are stored under separate keys. */
  slices: SliceExtent[][];
}

interface Where {
  file: string;
  offset: number;
  /** Describes the entry, e.g. `key "a"`. */
  what: string;
}

function decode(type: Type, bytes: Uint8Array, at: Where, expected: string): Record<string, unknown> {
  try {
    const msg = type.decode(bytes);
    return type.toObject(msg, { longs: String, defaults: true, arrays: true, oneofs: true }) as Record<string, unknown>;
  } catch (err) {
    throw new ModelFormatError(
      { file: at.file, offset: at.offset },
      expected,
      `${at.what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** An int64 decoded as a decimal string, required to be a safe integer in [min, MAX_SAFE_INTEGER]. */
function int64(value: unknown, at: Where, field: string, min = 0): number {
  const s = typeof value === 'string' ? value : String(value ?? '0');
  let big: bigint;
  try {
    big = BigInt(s);
  } catch {
    throw new ModelFormatError({ file: at.file, offset: at.offset }, `an integer ${field}`, `${at.what}: found ${s}`);
  }
  if (big < BigInt(min) || big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ModelFormatError(
      { file: at.file, offset: at.offset },
      `${field} between ${min} and ${Number.MAX_SAFE_INTEGER}`,
      `${at.what}: found ${s}`,
    );
  }
  return Number(big);
}

export function decodeHeader(bytes: Uint8Array, at: Where): BundleHeader {
  const o = decode(HeaderType, bytes, at, 'a BundleHeaderProto');
  const v = (o.version ?? {}) as Record<string, unknown>;
  const numShards = o.numShards as number;
  if (numShards < 1) {
    throw new ModelFormatError({ file: at.file, offset: at.offset }, 'num_shards of at least 1', `${at.what}: found ${numShards}`);
  }
  return {
    numShards,
    endianness: o.endianness as number,
    version: {
      producer: (v.producer as number | undefined) ?? 0,
      minConsumer: (v.minConsumer as number | undefined) ?? 0,
      badConsumers: (v.badConsumers as number[] | undefined) ?? [],
    },
  };
}

export function decodeEntry(bytes: Uint8Array, at: Where): BundleEntry {
  const o = decode(EntryType, bytes, at, 'a BundleEntryProto');
  const shapeMsg = (o.shape ?? { dim: [], unknownRank: false }) as { dim: Array<{ size: unknown }>; unknownRank: boolean };
  if (shapeMsg.unknownRank) {
    throw new ModelFormatError({ file: at.file, offset: at.offset }, 'a fully known tensor shape', `${at.what}: unknown rank`);
  }
  const shape = shapeMsg.dim.map((d) => int64(d.size, at, 'a dimension size'));
  const shardId = o.shardId as number;
  if (shardId < 0) {
    throw new ModelFormatError({ file: at.file, offset: at.offset }, 'a non-negative shard_id', `${at.what}: found ${shardId}`);
  }
  const slices = (o.slices as Array<{ extent: Array<{ start: unknown; length: unknown; hasLength?: string }> }>).map((s) =>
    s.extent.map((e) => ({
      start: int64(e.start, at, 'a slice start'),
      length: e.hasLength === 'length' ? int64(e.length, at, 'a slice length') : null,
    })),
  );
  return {
    dtype: o.dtype as number,
    shape,
    shardId,
    offset: int64(o.offset, at, 'offset'),
    size: int64(o.size, at, 'size'),
    crc32c: (o.crc32c as number) >>> 0,
    slices,
  };
}
