/**
 * JSON values ↔ host tensors, as TF Serving converts them: nested rectangular lists, numbers,
 * booleans, strings (UTF-8) and {"b64": ...} for bytes; float32 printed with the fewest digits
 * that read back as the same float32 (TF Serving prints 2.5 and 3, not 2.5000000 or 3.0000001).
 */
import { invalidRequest } from './errors';
import type { HostTensor, JsDtype } from './tensors';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

function isB64(v: unknown): v is { b64: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { b64?: unknown }).b64 === 'string' && Object.keys(v).length === 1;
}

/** Shape of a nested list (leaves are anything not an array). */
export function shapeOfValue(v: unknown, what: string): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  // Check rectangularity while flattening (flatten does it).
  void what;
  return shape;
}

function flatten(v: unknown, shape: number[], depth: number, out: unknown[], what: string): void {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw invalidRequest(`${what} is not rectangular: a list where a value was expected.`);
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth])
    throw invalidRequest(`${what} is not rectangular: expected a list of ${shape[depth]} at depth ${depth + 1}.`);
  for (const x of v) flatten(x, shape, depth + 1, out, what);
}

/** One JSON value (a nested list or scalar) as a tensor of `dtype`. */
export function tensorFromJson(v: unknown, dtype: JsDtype, what: string): HostTensor {
  const shape = shapeOfValue(v, what);
  if (dtype !== 'string') {
    const out = numericArray(dtype, shape.reduce((a, b) => a * b, 1));
    fillNumeric(v, shape, 0, out, 0, dtype, what);
    return { dtype, shape, values: out };
  }
  const flat: unknown[] = [];
  flatten(v, shape, 0, flat, what);
  return stringsFromFlat(flat, shape, what);
}

/** Stacks one value per instance along a new first dimension. */
export function stackFromJson(values: unknown[], dtype: JsDtype, what: string): HostTensor {
  if (values.length === 0) throw invalidRequest(`${what}: there are no instances.`);
  const inner = shapeOfValue(values[0], what);
  if (dtype !== 'string') {
    // Straight into the typed array: no list of boxed numbers in between (large batches).
    const size = inner.reduce((a, b) => a * b, 1);
    const out = numericArray(dtype, size * values.length);
    values.forEach((v, i) => fillNumeric(v, inner, 0, out, i * size, dtype, `${what} of instance ${i}`));
    return { dtype, shape: [values.length, ...inner], values: out };
  }
  const flat: unknown[] = [];
  values.forEach((v, i) => flatten(v, inner, 0, flat, `${what} of instance ${i}`));
  return stringsFromFlat(flat, [values.length, ...inner], what);
}

type NumericArray = Float32Array | Int32Array | Uint8Array;

function numericArray(dtype: Exclude<JsDtype, 'string'>, n: number): NumericArray {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/** One numeric leaf, as fromFlat converts it. */
function numericLeaf(x: unknown, dtype: Exclude<JsDtype, 'string'>, what: string): number {
  if (typeof x === 'number') return dtype === 'bool' ? (x ? 1 : 0) : x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
  throw invalidRequest(`${what} holds ${JSON.stringify(x)}; a ${dtype} input takes numbers${dtype === 'bool' ? ' or booleans' : ''}.`);
}

/** Writes a rectangular value of `shape` into `out` from `at`; returns the position after it. */
function fillNumeric(v: unknown, shape: number[], depth: number, out: NumericArray, at: number, dtype: Exclude<JsDtype, 'string'>, what: string): number {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw invalidRequest(`${what} is not rectangular: a list where a value was expected.`);
    out[at] = numericLeaf(v, dtype, what);
    return at + 1;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) throw invalidRequest(`${what} is not rectangular: expected a list of ${shape[depth]} at depth ${depth + 1}.`);
  if (depth === shape.length - 1) {
    for (let k = 0; k < v.length; k++) {
      const x: unknown = v[k];
      if (typeof x === 'number' && dtype !== 'bool') out[at + k] = x;
      else if (Array.isArray(x)) throw invalidRequest(`${what} is not rectangular: a list where a value was expected.`);
      else out[at + k] = numericLeaf(x, dtype, what);
    }
    return at + v.length;
  }
  let pos = at;
  for (const x of v) pos = fillNumeric(x, shape, depth + 1, out, pos, dtype, what);
  return pos;
}

/** String values (DT_STRING inputs): strings as UTF-8, {"b64"} decoded. Numeric inputs go through fillNumeric. */
function stringsFromFlat(flat: unknown[], shape: number[], what: string): HostTensor {
  const vals = flat.map((x) => {
    if (typeof x === 'string') return utf8.encode(x);
    if (isB64(x)) return new Uint8Array(Buffer.from(x.b64, 'base64'));
    throw invalidRequest(`${what} holds ${JSON.stringify(x)}; a string input takes strings or {"b64": ...}.`);
  });
  return { dtype: 'string', shape, values: vals };
}

/** The shortest decimal that reads back as the same float32 (as TF Serving's JSON writer prints). */
export function float32Json(x: number): number | string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

export interface JsonOptions {
  /** Encode DT_STRING values as {"b64": ...} (output aliases ending in _bytes). */
  b64?: boolean;
}

function leaf(t: HostTensor, i: number, o: JsonOptions): unknown {
  switch (t.dtype) {
    case 'float32': return float32Json((t.values as Float32Array)[i]!);
    case 'int32': return (t.values as Int32Array)[i]!;
    case 'bool': return (t.values as Uint8Array)[i]! !== 0;
    default: {
      const b = (t.values as Uint8Array[])[i]!;
      return o.b64 ? { b64: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') } : utf8d.decode(b);
    }
  }
}

function nest(t: HostTensor, dims: number[], depth: number, offset: number, o: JsonOptions): unknown {
  if (depth === dims.length) return leaf(t, offset, o);
  const stride = dims.slice(depth + 1).reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let k = 0; k < dims[depth]!; k++) out.push(nest(t, dims, depth + 1, offset + k * stride, o));
  return out;
}

/** A whole tensor as nested JSON lists (a scalar as a value). */
export function tensorToJson(t: HostTensor, o: JsonOptions = {}): unknown {
  return nest(t, t.shape, 0, 0, o);
}

/** Row `i` of a tensor (its first dimension) as JSON. */
export function rowToJson(t: HostTensor, i: number, o: JsonOptions = {}): unknown {
  const inner = t.shape.slice(1);
  const stride = inner.reduce((a, b) => a * b, 1);
  return nest(t, inner, 0, i * stride, o);
}

/** The numbers of a float/int tensor as a JS array. */
export function numbers(t: HostTensor): number[] {
  if (t.dtype === 'string') throw invalidRequest('a string tensor has no numbers');
  return Array.from(t.values as Float32Array | Int32Array | Uint8Array);
}
