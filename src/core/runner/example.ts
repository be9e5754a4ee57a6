/**
 * tf.Example without TensorFlow: the Example/Features/Feature protos (public field numbers of
 * tensorflow/core/example/{example,feature}.proto), TF Serving's JSON examples turned into them,
 * and the ParseExample kernel the runner registers with tfjs-converter (dense features only).
 */
import * as protobuf from 'protobufjs';
import type { ParseExampleSpec } from './graph';
import { invalidRequest } from './errors';
import { sizeOf } from './tensors';

const root = protobuf.Root.fromJSON({
  nested: {
    Example: { fields: { features: { id: 1, type: 'Features' } } },
    Features: { fields: { feature: { id: 1, keyType: 'string', type: 'Feature' } as protobuf.IField } },
    Feature: {
      oneofs: { kind: { oneof: ['bytes_list', 'float_list', 'int64_list'] } },
      fields: {
        bytes_list: { id: 1, type: 'BytesList' },
        float_list: { id: 2, type: 'FloatList' },
        int64_list: { id: 3, type: 'Int64List' },
      },
    },
    BytesList: { fields: { value: { id: 1, type: 'bytes', rule: 'repeated' } } },
    FloatList: { fields: { value: { id: 1, type: 'float', rule: 'repeated', options: { packed: true } } } },
    Int64List: { fields: { value: { id: 1, type: 'int64', rule: 'repeated', options: { packed: true } } } },
  },
});
const ExampleType = root.lookupType('Example');

export type FeatureValue =
  | { bytes: Uint8Array[] }
  | { floats: number[] }
  | { ints: number[] };

export type ExampleFeatures = Map<string, FeatureValue>;

interface FeatureMsg {
  kind?: string;
  bytes_list?: { value?: Uint8Array[] };
  float_list?: { value?: number[] };
  int64_list?: { value?: unknown[] };
}

function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'low' in v) {
    const l = v as { low: number; high: number };
    return l.high * 4294967296 + (l.low >>> 0);
  }
  return Number(v);
}

/** Decodes one serialized tf.Example. */
export function decodeExample(bytes: Uint8Array, index: number): ExampleFeatures {
  let msg: { features?: { feature?: Record<string, FeatureMsg> } };
  try {
    msg = ExampleType.decode(bytes) as unknown as typeof msg;
  } catch (err) {
    throw invalidRequest(`Example ${index} is not a serialized tf.Example (${(err as Error).message}).`, 'Send tf.Example protos, base64-encoded as {"b64": ...}, or use :classify/:regress with JSON "examples".');
  }
  const out: ExampleFeatures = new Map();
  for (const [k, f] of Object.entries(msg.features?.feature ?? {})) {
    if (f.kind === 'bytes_list') out.set(k, { bytes: f.bytes_list?.value ?? [] });
    else if (f.kind === 'float_list') out.set(k, { floats: f.float_list?.value ?? [] });
    else if (f.kind === 'int64_list') out.set(k, { ints: (f.int64_list?.value ?? []).map(toNum) });
    else out.set(k, { floats: [] });
  }
  return out;
}

export function encodeExample(features: ExampleFeatures): Uint8Array {
  const feature: Record<string, unknown> = {};
  for (const [k, v] of features) {
    if ('bytes' in v) feature[k] = { bytes_list: { value: v.bytes } };
    else if ('floats' in v) feature[k] = { float_list: { value: v.floats } };
    else feature[k] = { int64_list: { value: v.ints } };
  }
  return ExampleType.encode(ExampleType.fromObject({ features: { feature } })).finish();
}

const utf8 = new TextEncoder();

function isB64(v: unknown): v is { b64: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { b64?: unknown }).b64 === 'string';
}

/**
 * One feature of TF Serving's JSON examples: a number, string, {"b64"} or a list of one kind.
 * Integers become int64_list and other numbers float_list, as TF Serving does; the ParseExample
 * kernel below accepts an int64 list for a float feature (JSON cannot tell 2.0 from 2).
 */
function featureFromJson(key: string, v: unknown, where: string): FeatureValue {
  const items = Array.isArray(v) ? v : [v];
  if (items.every((x) => typeof x === 'number')) {
    const nums = items as number[];
    return nums.every((x) => Number.isInteger(x)) ? { ints: nums } : { floats: nums };
  }
  if (items.every((x) => typeof x === 'string' || isB64(x)))
    return { bytes: items.map((x) => (typeof x === 'string' ? utf8.encode(x) : new Uint8Array(Buffer.from((x as { b64: string }).b64, 'base64')))) };
  throw invalidRequest(`Feature "${key}" of ${where} must be a number, a string, {"b64": ...} or a list of one of them.`);
}

/** TF Serving's `examples` (+ `context`) as serialized tf.Example protos. */
export function examplesFromJson(examples: unknown[], context?: Record<string, unknown>): Uint8Array[] {
  return examples.map((ex, i) => {
    if (typeof ex !== 'object' || ex === null || Array.isArray(ex)) throw invalidRequest(`examples[${i}] must be a JSON object of feature name → value.`);
    const features: ExampleFeatures = new Map();
    for (const [k, v] of Object.entries(context ?? {})) features.set(k, featureFromJson(k, v, 'the context'));
    for (const [k, v] of Object.entries(ex as Record<string, unknown>)) features.set(k, featureFromJson(k, v, `examples[${i}]`));
    return encodeExample(features);
  });
}

/** The spec registry the kernel reads (specs are allocated per compiled graph). */
const SPECS = new Map<number, ParseExampleSpec>();
let nextId = 1;

export function allocateParseId(): number {
  return nextId++;
}

export function registerParseSpecs(specs: readonly ParseExampleSpec[]): void {
  for (const s of specs) SPECS.set(s.id, s);
}

export function releaseParseSpecs(specs: readonly ParseExampleSpec[]): void {
  for (const s of specs) SPECS.delete(s.id);
}

type TfLike = typeof import('@tensorflow/tfjs-core');
type ConverterLike = typeof import('@tensorflow/tfjs-converter');
let registered = false;

/** Registers the ServeLensParseExample kernel with tfjs-converter (once per process). */
export function registerParseExampleOp(tf: TfLike, converter: ConverterLike): void {
  if (registered) return;
  registered = true;
  converter.registerOp('ServeLensParseExample', (node) => {
    const id = node.attrs.servelens_spec as number;
    const spec = SPECS.get(id);
    if (!spec) throw new Error(`ParseExample spec ${id} is not registered`);
    const serialized = node.inputs[0]!;
    // dataSync() would UTF-8 decode the bytes; the backend hands them over untouched.
    const rows = tf.backend().readSync(serialized.dataId) as unknown as Uint8Array[];
    const batch = rows.length;
    const decoded = rows.map((r, i) => decodeExample(r, i));
    return spec.dense.map((d, k) => {
      const per = sizeOf(d.shape);
      const defTensor = node.inputs[d.defaultInput];
      const def = defTensor && defTensor.size > 0 ? (d.dtype === 'string' ? tf.backend().readSync(defTensor.dataId) : defTensor.dataSync()) as ArrayLike<unknown> : undefined;
      const total = batch * per;
      const shape = [batch, ...d.shape];
      if (d.dtype === 'string') {
        const out: Uint8Array[] = [];
        decoded.forEach((ex, i) => {
          const f = ex.get(d.key);
          if (!f) {
            if (!def) throw missing(d.key, i, d.dtype);
            for (let j = 0; j < per; j++) out.push((def as Uint8Array[])[Math.min(j, def.length - 1)]!);
            return;
          }
          if (!('bytes' in f)) throw wrongType(d.key, i, f, d.dtype);
          if (f.bytes.length !== per) throw wrongCount(d.key, i, f.bytes.length, per);
          out.push(...f.bytes);
        });
        return tf.tensor(out, shape, 'string');
      }
      const out = d.dtype === 'float32' ? new Float32Array(total) : new Int32Array(total);
      decoded.forEach((ex, i) => {
        const f = ex.get(d.key);
        if (!f) {
          if (!def) throw missing(d.key, i, d.dtype);
          for (let j = 0; j < per; j++) out[i * per + j] = Number(def[Math.min(j, def.length - 1)]);
          return;
        }
        const vals = 'floats' in f && d.dtype === 'float32' ? f.floats : 'ints' in f ? f.ints : undefined;
        if (!vals) throw wrongType(d.key, i, f, d.dtype);
        if (vals.length !== per) throw wrongCount(d.key, i, vals.length, per);
        for (let j = 0; j < per; j++) out[i * per + j] = vals[j]!;
      });
      void k;
      return tf.tensor(out, shape, d.dtype);
    });
  });
}

function kindOf(f: FeatureValue): string {
  return 'bytes' in f ? 'bytes_list' : 'floats' in f ? 'float_list' : 'int64_list';
}

function missing(key: string, i: number, dtype: string) {
  return invalidRequest(`Example ${i}: feature "${key}" (${dtype}) is required but could not be found.`, `Add "${key}" to every example (the model parses it with no default).`);
}

function wrongType(key: string, i: number, f: FeatureValue, dtype: string) {
  return invalidRequest(`Example ${i}: feature "${key}" is a ${kindOf(f)}, but the model parses it as ${dtype}.`);
}

function wrongCount(key: string, i: number, got: number, want: number) {
  return invalidRequest(`Example ${i}: feature "${key}" has ${got} value(s); the model expects exactly ${want}.`);
}
