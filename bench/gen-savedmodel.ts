/**
 * Writes synthetic binary SavedModels for the scale benchmarks (bench/signatures.ts, bench/fuzz.ts).
 *
 *   node out/bench/gen-savedmodel.js [--kind=nodes|consts|all] [--mb=10,100,500] [--out=bench/.data]
 *
 * Two kinds:
 * - `nodes`:  many small NodeDefs with realistic attrs (T, dtype, shape, _output_shapes, strides ...),
 *             TF1 style: a SaverDef and collections (variables, trainable_variables, asset_filepaths,
 *             saved_model_assets, legacy_init_op).
 * - `consts`: fewer nodes carrying large constant tensors (Const with 1 MiB `tensor_content`),
 *             TF2 style: an object_graph_def, an asset_file_def, and a second small MetaGraphDef
 *             tagged ["serve", "tpu"].
 * Both carry a meta_info_def (tags, TF version, a stripped op list) and five signatures, and the
 * fields are written in field-number order as TensorFlow writes them, so signature_def comes AFTER
 * graph_def.
 *
 * The file is streamed: the GraphDef is encoded node by node into a 1 MiB buffer that is flushed as
 * it fills. Two passes over the (deterministic) nodes: the first counts bytes to know the length
 * prefixes, the second writes. Memory stays a few MB whatever the size.
 *
 * Cache: `<name>.json` beside the file records the generator version and the size written; a file
 * with that size and version is not regenerated.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export type SyntheticKind = 'nodes' | 'consts';

/** Bump when the bytes the generator writes change, so cached files are rebuilt. */
const GENERATOR_VERSION = 4;

// ---------------------------------------------------------------- a tiny protobuf encoder

/** A growable byte buffer with protobuf field writers. */
export class Enc {
  buf: Buffer;
  len = 0;
  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  reset(): this {
    this.len = 0;
    return this;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
  /** Unsigned varint of a non-negative safe integer. */
  varint(n: number): this {
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
    return this;
  }
  /** int64 varint: negative numbers as 10-byte two's complement. */
  int64(n: number): this {
    if (n >= 0) return this.varint(n);
    let v = BigInt.asUintN(64, BigInt(n));
    this.room(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }
  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }
  uint(field: number, n: number): this {
    return this.tag(field, 0).int64(n);
  }
  bool(field: number, b: boolean): this {
    return this.tag(field, 0).varint(b ? 1 : 0);
  }
  raw(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  lenField(field: number, b: Uint8Array): this {
    return this.tag(field, 2).varint(b.length).raw(b);
  }
  str(field: number, s: string): this {
    return this.lenField(field, Buffer.from(s, 'utf8'));
  }
  float(field: number, f: number): this {
    this.tag(field, 5);
    this.room(4);
    this.buf.writeFloatLE(f, this.len);
    this.len += 4;
    return this;
  }
  /** An embedded message built by `body` into a scratch encoder. */
  msg(field: number, body: (e: Enc) => void): this {
    const sub = new Enc(64);
    body(sub);
    return this.lenField(field, sub.bytes());
  }
  /** A map<string, message> entry. */
  mapEntry(field: number, key: string, value: (e: Enc) => void): this {
    return this.msg(field, (e) => e.str(1, key).msg(2, value));
  }
}

export function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    s++;
  }
  return s;
}

// ---------------------------------------------------------------- TensorFlow messages

const DT_FLOAT = 1;
const DT_INT32 = 3;
const DT_STRING = 7;
const DT_INT64 = 9;

function shape(e: Enc, dims: number[] | null): void {
  if (dims === null) {
    e.bool(3, true);
    return;
  }
  for (const d of dims) e.msg(2, (x) => x.uint(1, d));
}

function tensorInfo(e: Enc, name: string, dtype: number, dims: number[] | null): void {
  e.str(1, name);
  if (dtype === 0) return; // an op (e.g. the init op's NoOp): name only, as TF writes it
  e.uint(2, dtype).msg(3, (x) => shape(x, dims));
}

interface SigSpec {
  name: string;
  method: string;
  inputs: [string, string, number, number[] | null][];
  outputs: [string, string, number, number[] | null][];
  sparseInput?: [string, string, string, string];
}

function signatureDef(e: Enc, s: SigSpec): void {
  for (const [alias, tensor, dtype, dims] of s.inputs) e.mapEntry(1, alias, (x) => tensorInfo(x, tensor, dtype, dims));
  if (s.sparseInput) {
    const [alias, values, indices, denseShape] = s.sparseInput;
    e.mapEntry(1, alias, (x) => {
      x.msg(4, (c) => c.str(1, values).str(2, indices).str(3, denseShape));
      x.uint(2, DT_INT64);
      x.msg(3, (sh) => shape(sh, [-1, -1]));
    });
  }
  for (const [alias, tensor, dtype, dims] of s.outputs) e.mapEntry(2, alias, (x) => tensorInfo(x, tensor, dtype, dims));
  e.str(3, s.method);
}

const SIGNATURES: SigSpec[] = [
  {
    name: 'serving_default',
    method: 'tensorflow/serving/predict',
    inputs: [
      ['images', 'serving_default_images:0', DT_FLOAT, [-1, 224, 224, 3]],
      ['image_ids', 'serving_default_image_ids:0', DT_STRING, [-1]],
    ],
    outputs: [
      ['probabilities', 'StatefulPartitionedCall:0', DT_FLOAT, [-1, 1000]],
      ['classes', 'StatefulPartitionedCall:1', DT_INT64, [-1]],
    ],
  },
  {
    name: 'classify',
    method: 'tensorflow/serving/classify',
    inputs: [['inputs', 'tf_example:0', DT_STRING, null]],
    outputs: [
      ['scores', 'head/scores:0', DT_FLOAT, [-1, 1000]],
      ['classes', 'head/classes:0', DT_STRING, [-1, 1000]],
    ],
  },
  {
    name: 'regress',
    method: 'tensorflow/serving/regress',
    inputs: [['inputs', 'tf_example:0', DT_STRING, null]],
    outputs: [['outputs', 'head/regression:0', DT_FLOAT, [-1, 1]]],
  },
  {
    name: 'embeddings/sparse_ids',
    method: 'tensorflow/serving/predict',
    inputs: [['weights', 'sparse_weights:0', DT_FLOAT, [-1, -1]]],
    sparseInput: ['ids', 'sparse_ids/values:0', 'sparse_ids/indices:0', 'sparse_ids/dense_shape:0'],
    outputs: [['embedding', 'embedding_lookup/Mean:0', DT_FLOAT, [-1, 64]]],
  },
  { name: '__saved_model_init_op', method: '', inputs: [], outputs: [['__saved_model_init_op', 'NoOp', 0, null]] },
];

const OPS = ['Const', 'Identity', 'MatMul', 'BiasAdd', 'Relu', 'Conv2D', 'VariableV2', 'Placeholder', 'NoOp', 'ParseExample', 'Softmax', 'ArgMax'];

function opDef(e: Enc, name: string): void {
  e.str(1, name);
  e.msg(2, (a) => a.str(1, 'input').str(3, 'T'));
  e.msg(3, (a) => a.str(1, 'output').str(3, 'T'));
  e.msg(4, (a) => a.str(1, 'T').str(2, 'type').msg(4, (l) => l.msg(1, (v) => v.uint(6, DT_FLOAT).uint(6, DT_INT32))));
}

function metaInfoDef(e: Enc, tags: string[]): void {
  e.str(1, 'v2.14.0');
  e.msg(2, (l) => {
    for (const op of OPS) l.msg(1, (d) => opDef(d, op));
  });
  for (const t of tags) e.str(4, t);
  e.str(5, '2.14.0');
  e.str(6, 'v2.14.0-rc1-21-g4dacf3f368e');
}

/** AttrValue helpers. */
const attrType = (e: Enc, key: string, dtype: number): Enc => e.mapEntry(5, key, (v) => v.uint(6, dtype));
const attrBool = (e: Enc, key: string, b: boolean): Enc => e.mapEntry(5, key, (v) => v.bool(5, b));
const attrShapes = (e: Enc, key: string, dims: number[][]): Enc =>
  e.mapEntry(5, key, (v) => v.msg(1, (l) => dims.forEach((d) => l.msg(7, (s) => shape(s, d)))));

/** One NodeDef of the `nodes` kind: a deterministic function of its index. */
function smallNode(e: Enc, i: number): void {
  const block = Math.floor(i / 64);
  const scope = `model/block_${block}/layer_${i % 64}`;
  const prev = i === 0 ? 'input' : `model/block_${Math.floor((i - 1) / 64)}/layer_${(i - 1) % 64}`;
  const width = 64 + (i % 7) * 32;
  switch (i % 6) {
    case 0: // a variable and its shape
      e.str(1, `${scope}/kernel`).str(2, 'VariableV2');
      attrType(e, 'dtype', DT_FLOAT);
      e.mapEntry(5, 'shape', (v) => v.msg(7, (s) => shape(s, [width, width])));
      e.mapEntry(5, 'container', (v) => v.str(2, ''));
      e.mapEntry(5, 'shared_name', (v) => v.str(2, ''));
      attrShapes(e, '_output_shapes', [[width, width]]);
      break;
    case 1: // a small constant (float_val)
      e.str(1, `${scope}/bias/Initializer/zeros`).str(2, 'Const');
      attrType(e, 'dtype', DT_FLOAT);
      e.mapEntry(5, 'value', (v) => v.msg(8, (t) => t.uint(1, DT_FLOAT).msg(2, (s) => shape(s, [width])).float(5, 0)));
      attrShapes(e, '_output_shapes', [[width]]);
      break;
    case 2:
      e.str(1, `${scope}/MatMul`).str(2, 'MatMul').str(3, `${prev}/Relu`).str(3, `${scope}/kernel/read`);
      e.str(4, '/job:localhost/replica:0/task:0/device:CPU:0');
      attrType(e, 'T', DT_FLOAT);
      attrBool(e, 'transpose_a', false);
      attrBool(e, 'transpose_b', false);
      attrShapes(e, '_output_shapes', [[-1, width]]);
      break;
    case 3:
      e.str(1, `${scope}/BiasAdd`).str(2, 'BiasAdd').str(3, `${scope}/MatMul`).str(3, `${scope}/bias/read`);
      attrType(e, 'T', DT_FLOAT);
      e.mapEntry(5, 'data_format', (v) => v.str(2, 'NHWC'));
      attrShapes(e, '_output_shapes', [[-1, width]]);
      break;
    case 4:
      e.str(1, `${scope}/Conv2D`).str(2, 'Conv2D').str(3, `${prev}/Relu`).str(3, `${scope}/kernel/read`);
      attrType(e, 'T', DT_FLOAT);
      e.mapEntry(5, 'strides', (v) => v.msg(1, (l) => l.msg(3, (p) => p.varint(1).varint(1).varint(1).varint(1))));
      e.mapEntry(5, 'padding', (v) => v.str(2, 'SAME'));
      attrBool(e, 'use_cudnn_on_gpu', true);
      attrShapes(e, '_output_shapes', [[-1, 28, 28, width]]);
      break;
    default:
      e.str(1, `${scope}/Relu`).str(2, 'Relu').str(3, `${scope}/BiasAdd`).str(3, `^${scope}/Conv2D`);
      attrType(e, 'T', DT_FLOAT);
      attrShapes(e, '_output_shapes', [[-1, width]]);
  }
}

/** 512 x 512 float32 = 1 MiB per constant. */
const CONST_DIMS = [512, 512];
const CONST_BYTES = 512 * 512 * 4;

let constPayload: Buffer | undefined;
function constBytes(): Buffer {
  if (!constPayload) {
    constPayload = Buffer.allocUnsafe(CONST_BYTES);
    let s = 0x9e3779b9;
    for (let i = 0; i < CONST_BYTES; i += 4) {
      s = (s ^ (s << 13)) >>> 0;
      s = (s ^ (s >>> 17)) >>> 0;
      s = (s ^ (s << 5)) >>> 0;
      constPayload.writeFloatLE(((s & 0xffff) - 32768) / 65536, i);
    }
  }
  return constPayload;
}

/**
 * A NodeDef of the `consts` kind without its tensor_content bytes: returns the encoded head (all
 * bytes up to and including the tensor_content length prefix); the caller writes the 1 MiB payload
 * from a shared buffer, so nothing large is ever copied. Nodes alternate Const / MatMul / Identity.
 */
function constNodeHead(e: Enc, i: number): { hasPayload: boolean } {
  const scope = `model/dense_${Math.floor(i / 3)}`;
  if (i % 3 === 0) {
    // NodeDef{ name, op, attr{dtype}, attr{value: AttrValue{tensor: TensorProto{dtype, shape, tensor_content}}} }
    const tensorHead = new Enc(64).uint(1, DT_FLOAT).msg(2, (s) => shape(s, CONST_DIMS));
    const tensorLen = tensorHead.len + 1 + varintSize(CONST_BYTES) + CONST_BYTES;
    const attrValueLen = 1 + varintSize(tensorLen) + tensorLen;
    const key = Buffer.from('value');
    const entryLen = 1 + varintSize(key.length) + key.length + 1 + varintSize(attrValueLen) + attrValueLen;
    e.str(1, `${scope}/kernel`).str(2, 'Const');
    attrType(e, 'dtype', DT_FLOAT);
    e.tag(5, 2).varint(entryLen).lenField(1, key);
    e.tag(2, 2).varint(attrValueLen).tag(8, 2).varint(tensorLen).raw(tensorHead.bytes());
    e.tag(4, 2).varint(CONST_BYTES);
    return { hasPayload: true };
  }
  if (i % 3 === 1) {
    e.str(1, `${scope}/MatMul`).str(2, 'MatMul').str(3, i === 1 ? 'serving_default_images' : `model/dense_${Math.floor(i / 3) - 1}/Relu`).str(3, `${scope}/kernel`);
    attrType(e, 'T', DT_FLOAT);
    attrBool(e, 'transpose_a', false);
    attrBool(e, 'transpose_b', false);
  } else {
    e.str(1, `${scope}/Relu`).str(2, 'Relu').str(3, `${scope}/MatMul`);
    attrType(e, 'T', DT_FLOAT);
  }
  return { hasPayload: false };
}

// ---------------------------------------------------------------- streaming writer

class Sink {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private len = 0;
  written = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(b: Uint8Array): void {
    if (b.length > this.buf.length - this.len) this.flush();
    if (b.length >= this.buf.length) {
      writeSync(this.fd, b);
    } else {
      this.buf.set(b, this.len);
      this.len += b.length;
    }
    this.written += b.length;
  }
  flush(): void {
    let off = 0;
    while (off < this.len) off += writeSync(this.fd, this.buf, off, this.len - off);
    this.len = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Emits the node fields of a GraphDef (field 1 each), to `out` or only counting. Returns bytes. */
function graphNodes(kind: SyntheticKind, count: number, out?: Sink): number {
  const e = new Enc(1 << 12);
  const head = new Enc(32);
  let total = 0;
  for (let i = 0; i < count; i++) {
    e.reset();
    let payload = 0;
    if (kind === 'nodes') smallNode(e, i);
    else if (constNodeHead(e, i).hasPayload) payload = CONST_BYTES;
    const nodeLen = e.len + payload;
    head.reset().tag(1, 2).varint(nodeLen);
    total += head.len + nodeLen;
    if (out) {
      out.write(head.bytes());
      out.write(e.bytes());
      if (payload) out.write(constBytes());
    }
  }
  return total;
}

/** How many nodes make the GraphDef's node bytes reach `target`. */
function nodeCountFor(kind: SyntheticKind, target: number): number {
  if (kind === 'consts') {
    const perTriple = graphNodes('consts', 3);
    return Math.max(3, Math.round(target / perTriple) * 3);
  }
  target -= 2 * 190 * MAX_VARIABLES; // leave room for the variables collections
  // Nodes cycle with period 6*64*7; measure one period and extrapolate, then trim exactly.
  const period = 6 * 64 * 7;
  const perPeriod = graphNodes('nodes', period);
  return Math.max(period, Math.floor((target / perPeriod) * period));
}

function graphTail(e: Enc): void {
  e.msg(4, (v) => v.uint(1, 1645).uint(2, 12)); // versions { producer min_consumer }
}

const MAX_VARIABLES = 4096;

function variableDef(e: Enc, i: number): void {
  const scope = `model/block_${Math.floor((i * 6) / 64)}/layer_${(i * 6) % 64}`;
  e.str(1, `${scope}/kernel:0`).str(2, `${scope}/kernel/Assign:0`).str(3, `${scope}/kernel/read:0`);
  e.str(6, `${scope}/kernel/Initializer/random_uniform:0`).bool(7, true);
}

/** MetaGraphDef fields before graph_def (meta_info_def) and after it (saver_def ... object_graph_def). */
function metaGraphParts(kind: SyntheticKind, nodeCount: number, second: boolean): { before: Buffer; after: Buffer } {
  const tags = second ? ['serve', 'tpu'] : ['serve'];
  const before = new Enc(4096).msg(1, (m) => metaInfoDef(m, tags)).bytes();
  const after = new Enc(8192);
  if (kind === 'nodes') {
    after.msg(3, (s) => s.str(1, 'save/Const:0').str(2, 'save/control_dependency:0').str(3, 'save/restore_all').uint(4, 5).float(5, 10000).uint(7, 2));
    // The variables collections hold one VariableDef per variable: they grow with the model, so
    // they are capped at a realistic 4096 variables (about 750 KB per collection).
    const variables = Math.min(MAX_VARIABLES, Math.ceil(nodeCount / 6));
    const varList = (e: Enc): void => {
      e.msg(2, (l) => {
        for (let i = 0; i < variables; i++) l.msg(1, (v) => variableDef(v, i));
      });
    };
    after.mapEntry(4, 'asset_filepaths', (c) => c.msg(1, (l) => l.str(1, 'Const:0')));
    after.mapEntry(4, 'trainable_variables', varList);
    after.mapEntry(4, 'variables', varList);
    after.mapEntry(4, 'saved_model_assets', (c) =>
      c.msg(5, (l) =>
        l.msg(1, (any) =>
          any
            .str(1, 'type.googleapis.com/tensorflow.AssetFileDef')
            .msg(2, (a) => a.msg(1, (t) => t.str(1, 'Const:0')).str(2, 'vocab.txt')),
        ),
      ),
    );
    after.mapEntry(4, 'legacy_init_op', (c) => c.msg(1, (l) => l.str(1, 'group_deps')));
  } else {
    after.msg(3, (s) => s.str(1, 'saver_filename:0').str(2, 'StatefulPartitionedCall_1:0').str(3, 'StatefulPartitionedCall_2').uint(4, 2).float(5, 10000).uint(7, 2));
    after.mapEntry(4, 'saved_model_main_op', (c) => c.msg(1, (l) => l.str(1, 'NoOp')));
  }
  const sigs = second ? SIGNATURES.slice(0, 1) : SIGNATURES;
  for (const s of sigs) after.mapEntry(5, s.name, (x) => signatureDef(x, s));
  if (kind === 'consts') {
    after.msg(6, (a) => a.msg(1, (t) => t.str(1, 'asset_path_initializer:0').uint(2, DT_STRING).msg(3, () => undefined)).str(2, 'labels.txt'));
    // A small SavedObjectGraph: nodes with children refs and a user object.
    after.msg(7, (g) => {
      for (let i = 0; i < 8; i++) {
        g.msg(1, (n) => {
          n.msg(1, (c) => c.uint(1, i + 1).str(2, `layer_${i}`));
          n.msg(8, (u) => u.str(1, '_generic_user_object'));
        });
      }
    });
  }
  return { before: Buffer.from(before), after: Buffer.from(after.bytes()) };
}

export interface GeneratedModel {
  file: string;
  kind: SyntheticKind;
  bytes: number;
  nodes: number;
  metaGraphs: number;
  cached: boolean;
}

/**
 * Writes (or finds cached) a synthetic SavedModel of about `targetBytes` at `file`.
 * The file's parent folder is created if needed.
 */
export function writeSyntheticSavedModel(file: string, kind: SyntheticKind, targetBytes: number): GeneratedModel {
  const manifestPath = `${file}.json`;
  if (existsSync(file) && existsSync(manifestPath)) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as GeneratedModel & { version: number; target: number };
      if (m.version === GENERATOR_VERSION && m.target === targetBytes && m.kind === kind && statSync(file).size === m.bytes) {
        return { ...m, file, cached: true };
      }
    } catch {
      // an unreadable manifest means regenerate
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  const nodes = nodeCountFor(kind, targetBytes);
  const nodeBytes = graphNodes(kind, nodes);
  const tail = new Enc(64);
  graphTail(tail);
  const graphLen = nodeBytes + tail.len;
  const main = metaGraphParts(kind, nodes, false);
  const graphHead = new Enc(16).tag(2, 2).varint(graphLen);
  const mainLen = main.before.length + graphHead.len + graphLen + main.after.length;

  // A second, small MetaGraphDef for the `consts` kind: a 3-node graph.
  let second: Buffer | undefined;
  if (kind === 'consts') {
    const parts = metaGraphParts(kind, 3, true);
    const g = new Enc(1024);
    const small = new Enc(1024);
    for (let i = 1; i < 3; i++) small.msg(1, (n) => constNodeHead(n, i));
    graphTail(small);
    g.raw(parts.before).lenField(2, small.bytes()).raw(parts.after);
    second = Buffer.from(g.bytes());
  }

  const tmp = `${file}.tmp`;
  const sink = new Sink(tmp);
  sink.write(new Enc(16).uint(1, 1).bytes()); // saved_model_schema_version: 1
  sink.write(new Enc(16).tag(2, 2).varint(mainLen).bytes());
  sink.write(main.before);
  sink.write(graphHead.bytes());
  const written = graphNodes(kind, nodes, sink);
  if (written !== nodeBytes) throw new Error(`generator bug: counted ${nodeBytes} node bytes, wrote ${written}`);
  sink.write(tail.bytes());
  sink.write(main.after);
  if (second) sink.write(new Enc(16).tag(2, 2).varint(second.length).raw(second).bytes());
  sink.close();
  renameSync(tmp, file);
  const result: GeneratedModel = { file, kind, bytes: sink.written, nodes, metaGraphs: second ? 2 : 1, cached: false };
  writeFileSync(manifestPath, JSON.stringify({ ...result, version: GENERATOR_VERSION, target: targetBytes }, null, 2));
  return result;
}

export const DATA_DIR = resolve(__dirname, '..', '..', 'bench', '.data');
export const SIZES_MB = [10, 100, 500];
export const KINDS: SyntheticKind[] = ['nodes', 'consts'];

export function syntheticPath(kind: SyntheticKind, mb: number, dir = DATA_DIR): string {
  return join(dir, `${kind}-${mb}mb`, 'saved_model.pb');
}

/** Generates (or finds) every benchmark model. */
export function ensureBenchModels(sizes = SIZES_MB, kinds = KINDS, dir = DATA_DIR, log = true): GeneratedModel[] {
  const out: GeneratedModel[] = [];
  for (const mb of sizes) {
    for (const kind of kinds) {
      const t0 = Date.now();
      const g = writeSyntheticSavedModel(syntheticPath(kind, mb, dir), kind, mb * 1024 * 1024);
      if (log) {
        console.log(`${g.cached ? 'cached   ' : 'generated'} ${kind}-${mb}mb: ${(g.bytes / 1048576).toFixed(1)} MiB, ${g.nodes} nodes${g.cached ? '' : ` in ${Date.now() - t0} ms`}`);
      }
      out.push(g);
    }
  }
  return out;
}

if (require.main === module) {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const sizes = args.mb ? args.mb.split(',').map(Number) : SIZES_MB;
  const kinds = args.kind && args.kind !== 'all' ? [args.kind as SyntheticKind] : KINDS;
  ensureBenchModels(sizes, kinds, args.out ? resolve(args.out) : DATA_DIR);
}
