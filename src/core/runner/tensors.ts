/**
 * Tensor values without TensorFlow.js: TensorFlow dtypes and their TensorFlow.js counterparts,
 * TensorProto decoding (Const nodes), and the weight-blob encoding TensorFlow.js reads
 * (io.decodeWeights: numbers little-endian in place, strings as uint32 length + bytes).
 */
import type { ITensorProto } from '../model/proto/schema';
import type { TensorValue } from '../model/bundle/bundle';

export type JsDtype = 'float32' | 'int32' | 'bool' | 'string';

/** A tensor as plain data: numbers for numeric dtypes, byte strings for 'string'. */
export interface HostTensor {
  dtype: JsDtype;
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array | Uint8Array[];
}

export const DT = {
  FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, COMPLEX64: 8, INT64: 9, BOOL: 10,
  BFLOAT16: 14, UINT16: 17, HALF: 19, RESOURCE: 20, VARIANT: 21, UINT32: 22, UINT64: 23,
} as const;

const BY_NAME: Record<string, number> = {
  DT_FLOAT: 1, DT_DOUBLE: 2, DT_INT32: 3, DT_UINT8: 4, DT_INT16: 5, DT_INT8: 6, DT_STRING: 7, DT_COMPLEX64: 8,
  DT_INT64: 9, DT_BOOL: 10, DT_BFLOAT16: 14, DT_UINT16: 17, DT_HALF: 19, DT_RESOURCE: 20, DT_VARIANT: 21,
  DT_UINT32: 22, DT_UINT64: 23,
};

/** "DT_FLOAT" (or "DT_FLOAT_REF") → 1; 0 for unknown/invalid. */
export function dtypeEnum(name: string | number | undefined | null): number {
  if (typeof name === 'number') return name > 100 ? name - 100 : name;
  if (!name) return 0;
  return BY_NAME[name.replace(/_REF$/, '')] ?? 0;
}

/** The TensorFlow.js dtype a TensorFlow dtype runs as (int64 as int32, double as float32), or undefined. */
export function jsDtype(dt: number): JsDtype | undefined {
  switch (dt > 100 ? dt - 100 : dt) {
    case DT.FLOAT: case DT.DOUBLE: case DT.HALF: case DT.BFLOAT16: return 'float32';
    case DT.INT32: case DT.INT64: case DT.UINT8: case DT.INT16: case DT.INT8: case DT.UINT16: case DT.UINT32: case DT.UINT64: return 'int32';
    case DT.BOOL: return 'bool';
    case DT.STRING: return 'string';
    default: return undefined;
  }
}

/** Long | number | string | bigint → number. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    return l.unsigned ? (l.high >>> 0) * 4294967296 + (l.low >>> 0) : l.high * 4294967296 + (l.low >>> 0);
  }
  return 0;
}

export function own<T extends object>(o: T | null | undefined, k: string): boolean {
  return o != null && Object.prototype.hasOwnProperty.call(o, k);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bf16ToFloat(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, h << 16, true);
  return b.getFloat32(0, true);
}

/** Converts the raw little-endian bytes of a numeric dtype into the TensorFlow.js array. */
function fromBytes(dt: number, bytes: Uint8Array, n: number): Float32Array | Int32Array | Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dt) {
    case DT.FLOAT: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case DT.DOUBLE: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case DT.HALF: case DT.BFLOAT16: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dt === DT.HALF ? halfToFloat(dv.getUint16(i * 2, true)) : bf16ToFloat(dv.getUint16(i * 2, true));
      return out;
    }
    case DT.INT32: case DT.UINT32: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    }
    case DT.INT64: case DT.UINT64: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      return out;
    }
    case DT.INT16: case DT.UINT16: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dt === DT.INT16 ? dv.getInt16(i * 2, true) : dv.getUint16(i * 2, true);
      return out;
    }
    case DT.INT8: case DT.UINT8: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dt === DT.INT8 ? dv.getInt8(i) : dv.getUint8(i);
      return out;
    }
    case DT.BOOL: {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      return out;
    }
    default:
      throw new Error(`dtype ${dt} has no TensorFlow.js counterpart`);
  }
}

/** Fills `n` elements from a repeated *_val field, repeating the last value as TensorFlow does. */
function fill<T>(vals: readonly T[], n: number, conv: (v: T) => number, out: Float32Array | Int32Array | Uint8Array): void {
  if (vals.length === 0) return;
  for (let i = 0; i < n; i++) out[i] = conv(vals[Math.min(i, vals.length - 1)]!);
}

/** Decodes a TensorProto (a Const node's value). Throws a plain Error naming what is not supported. */
export function decodeTensorProto(t: ITensorProto): HostTensor {
  const dt = num(t.dtype);
  const js = jsDtype(dt);
  if (!js) throw new Error(`a constant of dtype ${dt} (only numbers, bool and string run locally)`);
  const shape = (t.tensor_shape?.dim ?? []).map((d) => num(d.size));
  const n = sizeOf(shape);
  if (js === 'string') {
    const vals = (t.string_val ?? []) as Uint8Array[];
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push(vals.length ? vals[Math.min(i, vals.length - 1)]! : new Uint8Array(0));
    return { dtype: js, shape, values: out };
  }
  if (own(t, 'tensor_content') && t.tensor_content && t.tensor_content.length > 0)
    return { dtype: js, shape, values: fromBytes(dt, t.tensor_content, n) };
  const out = js === 'float32' ? new Float32Array(n) : js === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  switch (dt) {
    case DT.FLOAT: fill(t.float_val ?? [], n, Number, out); break;
    case DT.DOUBLE: fill(t.double_val ?? [], n, Number, out); break;
    case DT.HALF: fill(t.half_val ?? [], n, halfToFloat, out); break;
    case DT.BFLOAT16: fill(t.half_val ?? [], n, bf16ToFloat, out); break;
    case DT.INT64: fill((t.int64_val ?? []) as unknown[], n, num, out); break;
    case DT.UINT64: fill((t.uint64_val ?? []) as unknown[], n, num, out); break;
    case DT.UINT32: fill((t.uint32_val ?? []) as unknown[], n, num, out); break;
    case DT.BOOL: fill(t.bool_val ?? [], n, (b) => (b ? 1 : 0), out); break;
    default: fill(t.int_val ?? [], n, Number, out); break;
  }
  return { dtype: js, shape, values: out };
}

/** A checkpoint variable as a HostTensor. */
export function fromBundleValue(v: TensorValue): HostTensor {
  const dt = dtypeEnum(v.dtype);
  const js = jsDtype(dt);
  if (!js) throw new Error(`a variable of dtype ${v.dtype}`);
  const n = sizeOf(v.shape);
  if (js === 'string') {
    const bytes = v.bytes ?? (v.data as string[]).map((s) => new TextEncoder().encode(s));
    return { dtype: js, shape: v.shape, values: bytes };
  }
  const d = v.data;
  let values: Float32Array | Int32Array | Uint8Array;
  if (d instanceof Float32Array) values = d;
  else if (d instanceof Int32Array) values = d;
  else if (js === 'bool') values = Uint8Array.from(d as ArrayLike<number>, (x) => (x ? 1 : 0));
  else if (dt === DT.HALF || dt === DT.BFLOAT16) values = Float32Array.from(d as Uint16Array, dt === DT.HALF ? halfToFloat : bf16ToFloat);
  else if (d instanceof BigInt64Array || d instanceof BigUint64Array) values = Int32Array.from(d as ArrayLike<bigint>, (x) => Number(x));
  else if (js === 'float32') values = Float32Array.from(d as ArrayLike<number>);
  else values = Int32Array.from(d as ArrayLike<number>);
  if (values.length !== n) throw new Error(`a variable with ${values.length} values for shape [${v.shape.join(',')}]`);
  return { dtype: js, shape: v.shape, values };
}

/** Encodes one tensor the way TensorFlow.js weight files store it. */
export function weightBytes(t: HostTensor): Uint8Array {
  if (t.dtype === 'string') {
    const parts = t.values as Uint8Array[];
    const total = parts.reduce((s, p) => s + 4 + p.length, 0);
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    let at = 0;
    for (const p of parts) {
      dv.setUint32(at, p.length, true);
      out.set(p, at + 4);
      at += 4 + p.length;
    }
    return out;
  }
  const v = t.values as Float32Array | Int32Array | Uint8Array;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
