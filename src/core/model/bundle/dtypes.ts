/**
 * TensorFlow's DataType enum (tensorflow/core/framework/types.proto) as the bundle reader needs
 * it: the name of each value and how its elements are laid out in a checkpoint's data file.
 */
import type { DTypeName } from '../types';

/** The base (non-reference) DataType names by enum value. Reference types are these + 100. */
const NAMES: readonly string[] = [
  'DT_INVALID',
  'DT_FLOAT',
  'DT_DOUBLE',
  'DT_INT32',
  'DT_UINT8',
  'DT_INT16',
  'DT_INT8',
  'DT_STRING',
  'DT_COMPLEX64',
  'DT_INT64',
  'DT_BOOL',
  'DT_QINT8',
  'DT_QUINT8',
  'DT_QINT32',
  'DT_BFLOAT16',
  'DT_QINT16',
  'DT_QUINT16',
  'DT_UINT16',
  'DT_COMPLEX128',
  'DT_HALF',
  'DT_RESOURCE',
  'DT_VARIANT',
  'DT_UINT32',
  'DT_UINT64',
  'DT_FLOAT8_E5M2',
  'DT_FLOAT8_E4M3FN',
  'DT_FLOAT8_E4M3FNUZ',
  'DT_FLOAT8_E4M3B11FNUZ',
  'DT_FLOAT8_E5M2FNUZ',
  'DT_INT4',
  'DT_UINT4',
  'DT_INT2',
  'DT_UINT2',
];

export const DT_STRING = 7;
export const DT_VARIANT = 21;

/** "DT_FLOAT" for 1, "DT_FLOAT_REF" for 101, "DT_UNKNOWN_77" for a value this table does not know. */
export function dtypeName(value: number): DTypeName {
  if (value >= 0 && value < NAMES.length) return NAMES[value];
  if (value > 100 && value - 100 < NAMES.length) return `${NAMES[value - 100]}_REF`;
  return `DT_UNKNOWN_${value}`;
}

/** The typed array that holds a numeric dtype's elements. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface NumericLayout {
  /** Bytes per element in the data file (complex: both parts). */
  elementBytes: number;
  /** Bytes per typed-array lane (the unit of byte order); complex types use two lanes per element. */
  laneBytes: number;
  view(buf: ArrayBuffer, byteOffset: number, lanes: number): NumericArray;
}

const f32 = (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n);
const f64 = (b: ArrayBuffer, o: number, n: number) => new Float64Array(b, o, n);
const i8 = (b: ArrayBuffer, o: number, n: number) => new Int8Array(b, o, n);
const i16 = (b: ArrayBuffer, o: number, n: number) => new Int16Array(b, o, n);
const i32 = (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
const u8 = (b: ArrayBuffer, o: number, n: number) => new Uint8Array(b, o, n);
const u16 = (b: ArrayBuffer, o: number, n: number) => new Uint16Array(b, o, n);
const u32 = (b: ArrayBuffer, o: number, n: number) => new Uint32Array(b, o, n);
const i64 = (b: ArrayBuffer, o: number, n: number) => new BigInt64Array(b, o, n);
const u64 = (b: ArrayBuffer, o: number, n: number) => new BigUint64Array(b, o, n);

function layout(elementBytes: number, laneBytes: number, view: NumericLayout['view']): NumericLayout {
  return { elementBytes, laneBytes, view };
}

/**
 * Layouts of the dtypes stored as raw little-endian element bytes (TensorFlow's memcpy-able types).
 * half and bfloat16 come back as their raw 16-bit patterns (Uint16Array); complex as interleaved
 * (real, imaginary) pairs; bool as one byte per element; 8-bit floats and 4/2-bit integers as one
 * byte per element, as TensorFlow holds them in memory.
 */
const LAYOUTS: Record<number, NumericLayout> = {
  1: layout(4, 4, f32), // DT_FLOAT
  2: layout(8, 8, f64), // DT_DOUBLE
  3: layout(4, 4, i32), // DT_INT32
  4: layout(1, 1, u8), // DT_UINT8
  5: layout(2, 2, i16), // DT_INT16
  6: layout(1, 1, i8), // DT_INT8
  8: layout(8, 4, f32), // DT_COMPLEX64
  9: layout(8, 8, i64), // DT_INT64
  10: layout(1, 1, u8), // DT_BOOL
  11: layout(1, 1, i8), // DT_QINT8
  12: layout(1, 1, u8), // DT_QUINT8
  13: layout(4, 4, i32), // DT_QINT32
  14: layout(2, 2, u16), // DT_BFLOAT16 (raw bits)
  15: layout(2, 2, i16), // DT_QINT16
  16: layout(2, 2, u16), // DT_QUINT16
  17: layout(2, 2, u16), // DT_UINT16
  18: layout(16, 8, f64), // DT_COMPLEX128
  19: layout(2, 2, u16), // DT_HALF (raw bits)
  22: layout(4, 4, u32), // DT_UINT32
  23: layout(8, 8, u64), // DT_UINT64
  24: layout(1, 1, u8), // DT_FLOAT8_E5M2 (raw bits)
  25: layout(1, 1, u8), // DT_FLOAT8_E4M3FN
  26: layout(1, 1, u8), // DT_FLOAT8_E4M3FNUZ
  27: layout(1, 1, u8), // DT_FLOAT8_E4M3B11FNUZ
  28: layout(1, 1, u8), // DT_FLOAT8_E5M2FNUZ
  29: layout(1, 1, i8), // DT_INT4
  30: layout(1, 1, u8), // DT_UINT4
  31: layout(1, 1, i8), // DT_INT2
  32: layout(1, 1, u8), // DT_UINT2
};

/** The layout of a numeric dtype (reference types use their base type's), or undefined. */
export function numericLayout(dtype: number): NumericLayout | undefined {
  return LAYOUTS[dtype > 100 ? dtype - 100 : dtype];
}
