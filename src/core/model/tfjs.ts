/**
 * Reads a TensorFlow.js `model.json` into the same ModelSummary a SavedModel gives: one
 * MetaGraph tagged "serve" with one "serving_default" signature.
 *
 * - Graph models (`"format": "graph-model"`): the converter's `signature` block when present;
 *   otherwise inputs are the Placeholder nodes of `modelTopology.node` and outputs the nodes that
 *   no other node consumes (as tfjs-converter's executor decides them).
 * - Layers models (`"format": "layers-model"`): inputs and outputs from the Keras model config
 *   (functional `input_layers`/`output_layers`, or a Sequential's first and last layer); output
 *   shapes are computed for common layers and are -1 / null (unknown rank) where they cannot be.
 *
 * Malformed JSON is a ModelFormatError with the line and column of the first syntax error and
 * what was expected there; a structurally wrong model.json points at the offending key.
 */
import { open, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { IoError, ModelFormatError, ModelNotFoundError } from '../errors';
import { dtypeName } from './bundle/dtypes';
import type { DTypeName, MetaGraphSummary, ModelSummary, OpUse, Shape, Signature, TensorSpec, WeightsSummary } from './types';

/** model.json holds the topology and the weights manifest, never the weights; refuse anything larger. */
export const MAX_MODEL_JSON_BYTES = 512 * 1024 * 1024;
/** How many node names each OpUse keeps. */
const OP_NODE_NAMES = 3;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short description of a JSON value for messages (never serializes a whole, possibly deep, subtree). */
function brief(v: Json | undefined): string {
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (isObject(v)) return `an object with keys ${Object.keys(v).slice(0, 4).map((k) => JSON.stringify(k)).join(', ') || '(none)'}`;
  const s = v === undefined ? 'nothing' : JSON.stringify(typeof v === 'string' ? v.slice(0, 60) : v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** tfjs dtype names (and Keras dtype names) → TensorFlow DataType names. */
const TFJS_DTYPES: Record<string, DTypeName> = {
  float32: 'DT_FLOAT',
  int32: 'DT_INT32',
  bool: 'DT_BOOL',
  string: 'DT_STRING',
  complex64: 'DT_COMPLEX64',
  float64: 'DT_DOUBLE',
  float16: 'DT_HALF',
  bfloat16: 'DT_BFLOAT16',
  int64: 'DT_INT64',
  int16: 'DT_INT16',
  int8: 'DT_INT8',
  uint8: 'DT_UINT8',
  uint16: 'DT_UINT16',
  uint32: 'DT_UINT32',
  uint64: 'DT_UINT64',
  complex128: 'DT_COMPLEX128',
};

/** Bytes per element of a weight (or of its quantized form) in the .bin shards; undefined for strings. */
const WEIGHT_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
  int8: 1,
  int16: 2,
};

// ---------------------------------------------------------------------------------------------
// Positions in the text
// ---------------------------------------------------------------------------------------------

/** 1-based line and column (UTF-16 units) of index `pos`; \r\n, \n and \r each end a line. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(pos, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

const describeChar = (text: string, pos: number) => (pos >= text.length ? 'the end of the file' : JSON.stringify(text[pos]));

/**
 * Finds the first JSON syntax error in `text` (which JSON.parse refused) and says what was
 * expected there. Iterative, so deep nesting cannot overflow the stack.
 */
export function findJsonSyntaxError(text: string): { pos: number; expected: string; found: string } | undefined {
  let i = 0;
  const n = text.length;
  const err = (pos: number, expected: string) => ({ pos, expected, found: describeChar(text, pos) });
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  /** Scans a string starting at the opening quote; returns an error or undefined. */
  const str = () => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return undefined;
      }
      if (c < 0x20) return err(i, 'a closing \'"\' or an escaped control character (\\n, \\t, \\u00XX)');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return err(i + 2, 'four hex digits after \\u');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return err(i + 1, 'an escape character: " \\ / b f n r t or u');
      } else i++;
    }
    return err(n, 'a closing \'"\'');
  };
  const num = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (text[i] >= '1' && text[i] <= '9') while (text[i] >= '0' && text[i] <= '9') i++;
    else return err(i, 'a digit');
    if (text[i] === '.') {
      i++;
      if (!(text[i] >= '0' && text[i] <= '9')) return err(i, 'a digit after the decimal point');
      while (text[i] >= '0' && text[i] <= '9') i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!(text[i] >= '0' && text[i] <= '9')) return err(i, 'a digit in the exponent');
      while (text[i] >= '0' && text[i] <= '9') i++;
    }
    return undefined;
  };
  // The stack holds '{' or '['; `state` says what may come next.
  const stack: string[] = [];
  type State = 'value' | 'first-value' | 'key' | 'first-key' | 'colon' | 'after-value';
  let state: State = 'value';
  for (;;) {
    ws();
    const c = text[i];
    if (state === 'value' || state === 'first-value') {
      if (state === 'first-value' && c === ']') {
        stack.pop();
        i++;
        state = 'after-value';
        continue;
      }
      if (c === '{') {
        stack.push('{');
        i++;
        state = 'first-key';
        continue;
      }
      if (c === '[') {
        stack.push('[');
        i++;
        state = 'first-value';
        continue;
      }
      let e;
      if (c === '"') e = str();
      else if (c === '-' || (c >= '0' && c <= '9')) e = num();
      else if (c !== undefined && /^(true|false|null)/.test(text.slice(i, i + 5))) i += text.startsWith('false', i) ? 5 : 4;
      else return err(i, state === 'first-value' ? "a value or ']'" : 'a value (object, array, string, number, true, false or null)');
      if (e) return e;
      state = 'after-value';
      continue;
    }
    if (state === 'key' || state === 'first-key') {
      if (state === 'first-key' && c === '}') {
        stack.pop();
        i++;
        state = 'after-value';
        continue;
      }
      if (c !== '"') return err(i, state === 'first-key' ? "a double-quoted property name or '}'" : 'a double-quoted property name');
      const e = str();
      if (e) return e;
      state = 'colon';
      continue;
    }
    if (state === 'colon') {
      if (c !== ':') return err(i, "':' after the property name");
      i++;
      state = 'value';
      continue;
    }
    // after-value
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? err(i, 'the end of the file after the JSON value') : undefined;
    if (c === ',') {
      i++;
      state = top === '{' ? 'key' : 'value';
      continue;
    }
    if ((top === '{' && c === '}') || (top === '[' && c === ']')) {
      stack.pop();
      i++;
      continue;
    }
    return err(i, top === '{' ? "',' or '}' after the property value" : "',' or ']' after the array element");
  }
}

/** Parses model.json text; syntax errors become ModelFormatError with line, column and byte offset. */
export function parseJson(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (parseErr) {
    const found = findJsonSyntaxError(text);
    if (found) {
      const { line, column } = lineColumn(text, found.pos);
      const offset = Buffer.byteLength(text.slice(0, found.pos), 'utf8');
      throw new ModelFormatError({ file, line, column, offset }, found.expected, `found ${found.found}`, 'Fix the JSON syntax, or re-run the TensorFlow.js converter.');
    }
    // JSON.parse failed for a reason other than syntax (e.g. nesting beyond its stack).
    throw new ModelFormatError({ file, line: 1, column: 1 }, 'valid JSON', parseErr instanceof Error ? parseErr.message : String(parseErr));
  }
}

/**
 * Reports structural problems at the first place the key appears in the text (`"key":`), or at the
 * start of the top-level value when there is no such key.
 */
class Where {
  constructor(
    readonly text: string,
    readonly file: string,
  ) {}

  fail(key: string | undefined, expected: string, detail?: string): never {
    let pos = -1;
    if (key !== undefined) {
      const m = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`).exec(this.text);
      if (m) pos = m.index;
    }
    if (pos < 0) pos = Math.max(0, this.text.search(/\S/));
    throw new ModelFormatError(
      { file: this.file, ...lineColumn(this.text, pos) },
      expected,
      detail,
      'Re-run the TensorFlow.js converter, or check that this model.json was not edited by hand.',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** Reads a tfjs model.json (or the model.json inside a folder) into a ModelSummary. */
export async function readTfjsModel(modelJsonPath: string): Promise<ModelSummary> {
  let file = resolve(modelJsonPath);
  let st;
  try {
    st = await stat(file);
    if (st.isDirectory()) {
      file = join(file, 'model.json');
      st = await stat(file);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ModelNotFoundError(modelJsonPath, 'there is no model.json there');
    throw new IoError(file, err);
  }
  if (st.size > MAX_MODEL_JSON_BYTES) {
    throw new ModelFormatError(
      { file },
      `a model.json of at most ${MAX_MODEL_JSON_BYTES / (1024 * 1024)} MB`,
      `the file has ${st.size} bytes`,
      'A TensorFlow.js model.json holds only the topology and the weights manifest; the weights belong in the .bin shards.',
    );
  }
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      // Read no more than the size checked above, even if the file grows meanwhile.
      const buf = Buffer.alloc(st.size);
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      text = buf.toString('utf8', 0, done);
    } finally {
      await fh.close().catch(() => undefined);
    }
  } catch (err) {
    throw new IoError(file, err);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const json = parseJson(text, file);
  const dir = dirname(file);
  return summarizeTfjs(json, text, file, await weightFileSizes(json, dir));
}

/** Sizes of the weight shards that exist next to model.json (paths that are URLs or absent are skipped). */
async function weightFileSizes(json: Json, dir: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (!isObject(json) || !Array.isArray(json.weightsManifest)) return sizes;
  for (const group of json.weightsManifest) {
    if (!isObject(group) || !Array.isArray(group.paths)) continue;
    for (const p of group.paths) {
      if (typeof p !== 'string' || sizes.has(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p)) continue;
      try {
        const s = await stat(join(dir, p));
        if (s.isFile()) sizes.set(p, s.size);
      } catch {
        // A missing shard: the summary falls back to sizes computed from the weight specs.
      }
    }
  }
  return sizes;
}

/**
 * Builds the summary from parsed model.json. `weightSizes` maps weight paths to their sizes on disk;
 * when every path has a size the weights' bytes are their sum, otherwise computed from the specs.
 */
export function summarizeTfjs(json: Json, text: string, file: string, weightSizes: Map<string, number> = new Map()): ModelSummary {
  const where: Where = new Where(text, file);
  if (!isObject(json)) where.fail(undefined, 'a JSON object with "modelTopology" and "weightsManifest"', `found ${Array.isArray(json) ? 'an array' : typeof json}`);
  const topology = json.modelTopology;
  if (!isObject(topology)) where.fail('modelTopology', 'an object under "modelTopology"', topology === undefined ? 'there is none' : undefined);
  let format: 'tfjs-graph' | 'tfjs-layers';
  if (json.format === 'graph-model') format = 'tfjs-graph';
  else if (json.format === 'layers-model') format = 'tfjs-layers';
  else if (json.format !== undefined && json.format !== null) where.fail('format', '"format": "graph-model" or "layers-model"', `found ${brief(json.format)}`);
  // Older converters wrote no "format": tell the two apart by the topology.
  else if (Array.isArray(topology.node) || isObject(topology.versions) || isObject(topology.library)) format = 'tfjs-graph';
  else if (isObject(topology.model_config) || typeof topology.class_name === 'string') format = 'tfjs-layers';
  else return where.fail('modelTopology', 'a graph ("node") or a Keras model ("model_config") under "modelTopology"');

  const metaGraph: MetaGraphSummary = { tags: ['serve'], signatures: [], hasObjectGraph: false, assets: [] };
  if (format === 'tfjs-graph') {
    const nodes = graphNodes(topology, where);
    metaGraph.signatures.push(graphSignature(json, nodes, where));
    const init = isObject(json.modelInitializer) ? graphNodes(json.modelInitializer, where) : { main: [], functions: [] };
    metaGraph.ops = opUsage([nodes, init]);
  } else {
    metaGraph.signatures.push(layersSignature(topology, where));
  }
  const summary: ModelSummary = {
    format,
    dir: dirname(file),
    file,
    metaGraphs: [metaGraph],
    weights: weightsSummary(json.weightsManifest, weightSizes, where),
  };
  if (typeof json.generatedBy === 'string') summary.generatedBy = json.generatedBy;
  if (typeof json.convertedBy === 'string') summary.convertedBy = json.convertedBy;
  return summary;
}

// ---------------------------------------------------------------------------------------------
// dtypes and shapes
// ---------------------------------------------------------------------------------------------

/** A dtype as JSON gives it: "DT_FLOAT", an enum number, "float32", or a Keras DTypePolicy object. */
function toDType(v: Json | undefined): DTypeName {
  if (typeof v === 'string') {
    if (v.startsWith('DT_')) return v;
    return TFJS_DTYPES[v] ?? TFJS_DTYPES[v.replace(/^mixed_/, '')] ?? 'DT_INVALID';
  }
  if (typeof v === 'number' && Number.isInteger(v)) return dtypeName(v);
  if (isObject(v) && isObject(v.config) && typeof v.config.name === 'string') return toDType(v.config.name);
  return 'DT_INVALID';
}

function dimSize(v: Json | undefined, where: Where, key: string): number {
  // proto3 JSON leaves out a zero size, and writes int64 as a string.
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < -1) where.fail(key, 'a dimension size: an integer, -1 when unknown', `found ${brief(v)}`);
  return n;
}

/** A TensorShapeProto in JSON form ({dim:[{size:"-1"}]}, {unknownRank:true}) as a Shape. */
function protoShape(v: Json | undefined, where: Where, key: string): Shape {
  if (!isObject(v) || v.unknownRank === true || v.unknown_rank === true) return null;
  if (v.dim === undefined) return [];
  if (!Array.isArray(v.dim)) where.fail(key, 'a list under "dim"');
  return v.dim.map((d) => dimSize(isObject(d) ? d.size : undefined, where, key));
}

/** A Keras shape list ([null, 3]) as a Shape. */
function kerasShape(v: Json | undefined, where: Where, key: string): Shape {
  if (!Array.isArray(v)) return null;
  return v.map((d) => (d === null ? -1 : dimSize(d, where, key)));
}

// ---------------------------------------------------------------------------------------------
// Graph models
// ---------------------------------------------------------------------------------------------

interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  attr: JsonObject;
}

interface GraphNodes {
  main: GraphNode[];
  functions: Array<{ name: string; nodes: GraphNode[] }>;
}

function toNode(v: Json, where: Where, key: string): GraphNode {
  if (!isObject(v) || typeof v.name !== 'string' || typeof v.op !== 'string') {
    where.fail(key, 'nodes with a string "name" and "op"', `found ${brief(v)}`);
  }
  const inputs = v.input === undefined ? [] : v.input;
  if (!Array.isArray(inputs) || !inputs.every((s) => typeof s === 'string')) where.fail('input', `a list of input names for node "${v.name}"`);
  return { name: v.name, op: v.op, inputs: inputs as string[], attr: isObject(v.attr) ? v.attr : {} };
}

/** The nodes of a GraphDef in JSON form, and of its function library. */
function graphNodes(graph: JsonObject, where: Where): GraphNodes {
  const node = graph.node ?? [];
  if (!Array.isArray(node)) where.fail('node', 'a list of nodes under "node"');
  const main = node.map((n) => toNode(n, where, 'node'));
  const functions: GraphNodes['functions'] = [];
  const lib = graph.library;
  if (isObject(lib) && lib.function !== undefined) {
    if (!Array.isArray(lib.function)) where.fail('function', 'a list of functions under "library.function"');
    for (const fn of lib.function) {
      if (!isObject(fn)) where.fail('function', 'function definitions as objects');
      const sig = isObject(fn.signature) ? fn.signature : {};
      const body = fn.nodeDef ?? fn.node_def ?? [];
      if (!Array.isArray(body)) where.fail('nodeDef', 'a list of nodes under "nodeDef"');
      functions.push({ name: typeof sig.name === 'string' ? sig.name : '', nodes: body.map((n) => toNode(n, where, 'nodeDef')) });
    }
  }
  return { main, functions };
}

/** Op usage over graphs and their libraries, sorted by op; function nodes named `<function>/<node>`. */
function opUsage(graphs: GraphNodes[]): OpUse[] {
  const uses = new Map<string, OpUse>();
  const visit = (nodes: GraphNode[], prefix: string) => {
    for (const n of nodes) {
      let use = uses.get(n.op);
      if (!use) uses.set(n.op, (use = { op: n.op, count: 0, nodes: [] }));
      use.count++;
      if (use.nodes.length < OP_NODE_NAMES) use.nodes.push(prefix + n.name);
    }
  };
  for (const g of graphs) {
    visit(g.main, '');
    for (const fn of g.functions) visit(fn.nodes, `${fn.name}/`);
  }
  return [...uses.values()].sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
}

function tensorInfoSpec(alias: string, info: Json, where: Where, key: string): TensorSpec {
  if (!isObject(info)) where.fail(key, `a TensorInfo object for "${alias}"`);
  return {
    alias,
    dtype: toDType(info.dtype),
    shape: protoShape(info.tensorShape ?? info.tensor_shape, where, 'tensorShape'),
    tensor: typeof info.name === 'string' ? info.name : alias,
  };
}

/** The attr value's type, as {type: "DT_FLOAT"}. */
const attrType = (attr: JsonObject, name: string): Json | undefined => (isObject(attr[name]) ? (attr[name] as JsonObject).type : undefined);

function graphSignature(json: JsonObject, nodes: GraphNodes, where: Where): Signature {
  const sig: Signature = { name: 'serving_default', method: 'tensorflow/serving/predict', inputs: [], outputs: [] };
  const block = json.signature;
  if (isObject(block) && (isObject(block.inputs) || isObject(block.outputs))) {
    for (const side of ['inputs', 'outputs'] as const) {
      const map = block[side];
      if (map === undefined || map === null) continue;
      if (!isObject(map)) where.fail(side, `an object of TensorInfo under "signature.${side}"`);
      for (const [alias, info] of Object.entries(map)) sig[side].push(tensorInfoSpec(alias, info, where, side));
    }
    return sig;
  }
  // No signature: Placeholders are the inputs; nodes nobody consumes are the outputs.
  const consumed = new Set<string>();
  for (const n of nodes.main) for (const input of n.inputs) consumed.add(input.replace(/^\^/, '').split(':')[0]);
  for (const n of nodes.main) {
    if (n.op === 'Placeholder') {
      const shapeAttr = isObject(n.attr.shape) ? n.attr.shape.shape : undefined;
      sig.inputs.push({ alias: n.name, dtype: toDType(attrType(n.attr, 'dtype')), shape: protoShape(shapeAttr, where, 'shape'), tensor: `${n.name}:0` });
    } else if (!consumed.has(n.name) && n.op !== 'NoOp') {
      const t = ['DstT', 'out_type', 'output_type', 'dtype', 'T'].map((a) => attrType(n.attr, a)).find((x) => x !== undefined);
      const shapes = isObject(n.attr._output_shapes) && isObject(n.attr._output_shapes.list) ? n.attr._output_shapes.list.shape : undefined;
      sig.outputs.push({
        alias: n.name,
        dtype: toDType(t),
        shape: Array.isArray(shapes) && shapes.length > 0 ? protoShape(shapes[0], where, '_output_shapes') : null,
        tensor: `${n.name}:0`,
      });
    }
  }
  return sig;
}

// ---------------------------------------------------------------------------------------------
// Layers models
// ---------------------------------------------------------------------------------------------

interface Layer {
  className: string;
  name: string;
  config: JsonObject;
  /** Each inbound node: the [layer, node index, tensor index] it consumes. */
  inbound: Array<Array<[string, number, number]>>;
}

type TensorRef = [string, number, number];

function toRef(v: Json): TensorRef | undefined {
  if (Array.isArray(v) && typeof v[0] === 'string') {
    return [v[0], typeof v[1] === 'number' ? v[1] : 0, typeof v[2] === 'number' ? v[2] : 0];
  }
  // Keras 3: {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, tensor]}}
  if (isObject(v) && isObject(v.config) && Array.isArray(v.config.keras_history)) return toRef(v.config.keras_history);
  return undefined;
}

/** All tensor references inside a Keras 3 call's args (which may nest lists of tensors). */
function refsIn(v: Json, out: TensorRef[], depth = 0): void {
  if (depth > 8) return;
  const ref = isObject(v) && v.class_name === '__keras_tensor__' ? toRef(v) : undefined;
  if (ref) out.push(ref);
  else if (Array.isArray(v)) for (const x of v) refsIn(x, out, depth + 1);
}

function toLayer(v: Json, where: Where): Layer {
  if (!isObject(v) || typeof v.class_name !== 'string') where.fail('layers', 'layers with a "class_name"');
  const config = isObject(v.config) ? v.config : {};
  const name = typeof v.name === 'string' ? v.name : typeof config.name === 'string' ? config.name : '';
  const inbound: Layer['inbound'] = [];
  if (Array.isArray(v.inbound_nodes)) {
    for (const node of v.inbound_nodes) {
      const refs: TensorRef[] = [];
      if (Array.isArray(node)) {
        // Keras 2 / tfjs: [[layer, node, tensor, kwargs], ...]
        for (const r of node) {
          const ref = toRef(r);
          if (ref) refs.push(ref);
        }
      } else if (isObject(node)) refsIn(node.args ?? [], refs);
      inbound.push(refs);
    }
  }
  return { className: v.class_name, name, config, inbound };
}

/** input_layers / output_layers: a list of [name, node, tensor], or (Keras 3, one tensor) a single one. */
function layerRefs(v: Json | undefined, where: Where, key: string): TensorRef[] {
  if (!Array.isArray(v)) where.fail(key, `a list of [layer name, node index, tensor index] under "${key}"`);
  if (typeof v[0] === 'string') return [toRef(v)!];
  return v.map((r) => toRef(r) ?? where.fail(key, `[layer name, node index, tensor index] entries under "${key}"`, `found ${brief(r)}`));
}

function inputShapeOf(layer: Layer, where: Where): Shape {
  const c = layer.config;
  if (Array.isArray(c.batch_input_shape)) return kerasShape(c.batch_input_shape, where, 'batch_input_shape');
  if (Array.isArray(c.batch_shape)) return kerasShape(c.batch_shape, where, 'batch_shape');
  if (Array.isArray(c.input_shape)) {
    const s = kerasShape(c.input_shape, where, 'input_shape');
    return s && [-1, ...s];
  }
  if (Array.isArray(c.shape)) {
    const s = kerasShape(c.shape, where, 'shape');
    return s && [-1, ...s];
  }
  if (typeof c.input_dim === 'number') {
    // Embedding layers may give only input_dim / input_length.
    return typeof c.input_length === 'number' ? [-1, c.input_length] : null;
  }
  return null;
}

const SAME_SHAPE = new Set([
  'Activation',
  'ActivityRegularization',
  'AlphaDropout',
  'BatchNormalization',
  'Dropout',
  'ELU',
  'GaussianDropout',
  'GaussianNoise',
  'LayerNormalization',
  'LeakyReLU',
  'Masking',
  'Normalization',
  'PReLU',
  'ReLU',
  'Rescaling',
  'Softmax',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'ThresholdedReLU',
  'UnitNormalization',
]);
const MERGE = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

const prod = (dims: number[]) => (dims.some((d) => d < 0) ? -1 : dims.reduce((a, b) => a * b, 1));

function spatial(size: number, kernel: number, stride: number, padding: string, dilation = 1): number {
  if (size < 0) return -1;
  if (padding === 'same') return Math.ceil(size / stride);
  const k = (kernel - 1) * dilation + 1;
  return size < k ? 0 : Math.floor((size - k) / stride) + 1;
}

const pair = (v: Json | undefined, dflt: number): [number, number] =>
  typeof v === 'number' ? [v, v] : Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number' ? [v[0], v[1]] : [dflt, dflt];

/** The output shape of a layer given its input shapes, for the layers whose rule is known; else null. */
function outputShape(layer: Layer, inputs: Shape[]): Shape {
  const c = layer.config;
  const x = inputs[0];
  const k = layer.className;
  if (inputs.length === 0 || inputs.some((s) => s === null)) return null;
  const s = x as number[];
  if (SAME_SHAPE.has(k)) return s;
  switch (k) {
    case 'Dense':
      return typeof c.units === 'number' && s.length >= 1 ? [...s.slice(0, -1), c.units] : null;
    case 'Flatten':
      return s.length >= 1 ? [s[0], prod(s.slice(1))] : null;
    case 'Reshape': {
      if (!Array.isArray(c.target_shape) || !c.target_shape.every((d) => typeof d === 'number')) return null;
      const target = c.target_shape as number[];
      const known = prod(s.slice(1));
      const fixed = target.filter((d) => d >= 0);
      return [s[0], ...target.map((d) => (d >= 0 ? d : known >= 0 && prod(fixed) > 0 ? known / prod(fixed) : -1))];
    }
    case 'Embedding':
      return typeof c.output_dim === 'number' ? [...s, c.output_dim] : null;
    case 'Concatenate': {
      const all = inputs as number[][];
      if (!all.every((t) => t.length === s.length)) return null;
      const axisRaw = typeof c.axis === 'number' ? c.axis : -1;
      const axis = axisRaw < 0 ? s.length + axisRaw : axisRaw;
      if (axis < 0 || axis >= s.length) return null;
      const out = [...s];
      out[axis] = all.some((t) => t[axis] < 0) ? -1 : all.reduce((a, t) => a + t[axis], 0);
      return out;
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      if (c.keepdims === true || s.length < 3) return null;
      return c.data_format === 'channels_first' ? [s[0], s[1]] : [s[0], s[s.length - 1]];
    case 'Conv2D':
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      if (s.length !== 4 || c.data_format === 'channels_first') return null;
      const isConv = k === 'Conv2D';
      const kernel = pair(isConv ? c.kernel_size : c.pool_size, isConv ? 1 : 2);
      const strides = pair(c.strides ?? (isConv ? 1 : c.pool_size), isConv ? 1 : 2);
      const dil = pair(c.dilation_rate, 1);
      const padding = c.padding === 'same' ? 'same' : 'valid';
      const channels = isConv ? (typeof c.filters === 'number' ? c.filters : -1) : s[3];
      return [s[0], spatial(s[1], kernel[0], strides[0], padding, dil[0]), spatial(s[2], kernel[1], strides[1], padding, dil[1]), channels];
    }
    default:
      if (MERGE.has(k)) {
        const all = inputs as number[][];
        if (!all.every((t) => t.length === s.length)) return null;
        return s.map((d, i) => (all.every((t) => t[i] === d) ? d : Math.max(...all.map((t) => t[i]))));
      }
      return null;
  }
}

function layersSignature(topology: JsonObject, where: Where): Signature {
  const sig: Signature = { name: 'serving_default', method: 'tensorflow/serving/predict', inputs: [], outputs: [] };
  // The converter nests the Keras config under model_config; tfjs' own model.save() writes it directly.
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const className = model.class_name;
  if (typeof className !== 'string') where.fail('class_name', 'a Keras model "class_name" (Sequential, Functional or Model)');
  const config = model.config;
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers)) where.fail('layers', 'a list of layers in the model config');
  const layers = rawLayers.map((l) => toLayer(l, where));
  const byName = new Map(layers.map((l) => [l.name, l]));

  if (className === 'Sequential') {
    if (layers.length === 0) where.fail('layers', 'at least one layer in the Sequential model');
    const first = layers[0];
    const body = first.className === 'InputLayer' ? layers.slice(1) : layers;
    let shape = inputShapeOf(first, where);
    sig.inputs.push({
      alias: first.className === 'InputLayer' ? first.name : `${first.name}_input`,
      dtype: toDType(first.config.dtype ?? 'float32'),
      shape,
      tensor: `${first.className === 'InputLayer' ? first.name : `${first.name}_input`}:0`,
    });
    for (const l of body) shape = outputShape(l, [shape]);
    const last = layers[layers.length - 1];
    sig.outputs.push({ alias: last.name, dtype: toDType(last.config.dtype ?? 'float32'), shape, tensor: `${last.name}:0` });
    return sig;
  }

  if (!isObject(config)) return where.fail('config', 'an object config for a functional model');
  const memo = new Map<string, Shape>();
  const visiting = new Set<string>();
  const shapeOf = (ref: TensorRef, depth: number): Shape => {
    const [name, nodeIndex, tensorIndex] = ref;
    const id = `${name}\u0000${nodeIndex}\u0000${tensorIndex}`;
    if (memo.has(id)) return memo.get(id)!;
    const layer = byName.get(name);
    if (!layer || tensorIndex !== 0 || visiting.has(id) || depth > 2000) return null;
    visiting.add(id);
    let result: Shape;
    if (layer.className === 'InputLayer') result = inputShapeOf(layer, where);
    else {
      const node = layer.inbound[nodeIndex];
      result = node ? outputShape(layer, node.map((r) => shapeOf(r, depth + 1))) : null;
    }
    visiting.delete(id);
    memo.set(id, result);
    return result;
  };

  const aliases = new Set<string>();
  const alias = (name: string, tensorIndex: number) => {
    let a = tensorIndex === 0 ? name : `${name}_${tensorIndex}`;
    while (aliases.has(a)) a = `${a}_`;
    aliases.add(a);
    return a;
  };
  for (const ref of layerRefs(config.input_layers, where, 'input_layers')) {
    const layer = byName.get(ref[0]) ?? where.fail('input_layers', `an input layer named "${ref[0]}" among the layers`);
    sig.inputs.push({ alias: alias(ref[0], ref[2]), dtype: toDType(layer.config.dtype ?? 'float32'), shape: shapeOf(ref, 0), tensor: `${ref[0]}:${ref[2]}` });
  }
  for (const ref of layerRefs(config.output_layers, where, 'output_layers')) {
    const layer = byName.get(ref[0]) ?? where.fail('output_layers', `an output layer named "${ref[0]}" among the layers`);
    sig.outputs.push({ alias: alias(ref[0], ref[2]), dtype: toDType(layer.config.dtype ?? 'float32'), shape: shapeOf(ref, 0), tensor: `${ref[0]}:${ref[2]}` });
  }
  return sig;
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

function weightsSummary(manifest: Json | undefined, sizes: Map<string, number>, where: Where): WeightsSummary {
  if (manifest === undefined || manifest === null) return { files: 0, bytes: 0, count: 0 };
  if (!Array.isArray(manifest)) where.fail('weightsManifest', 'a list of weight groups under "weightsManifest"');
  let files = 0;
  let count = 0;
  let computed = 0;
  let onDisk = 0;
  let allOnDisk = true;
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      where.fail('weightsManifest', 'weight groups with "paths" and "weights" lists');
    }
    for (const p of group.paths) {
      if (typeof p !== 'string') where.fail('paths', 'weight file paths as strings');
      files++;
      const size = sizes.get(p);
      if (size === undefined) allOnDisk = false;
      else onDisk += size;
    }
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) where.fail('weights', 'weight specs with a "name" and a "shape"');
      count++;
      const q = isObject(w.quantization) ? w.quantization.dtype : undefined;
      const per = WEIGHT_BYTES[typeof q === 'string' ? q : typeof w.dtype === 'string' ? w.dtype : 'float32'];
      const dims = w.shape.map((d) => dimSize(d, where, 'shape'));
      if (dims.some((d) => d < 0)) where.fail('shape', `a fully known shape for weight "${w.name}"`, `found [${dims.join(', ')}]`);
      // String weights have no fixed element size: only the files on disk can say how large they are.
      if (per !== undefined) computed += prod(dims) * per;
    }
  }
  return { files, bytes: allOnDisk && files > 0 ? onDisk : computed, count };
}
