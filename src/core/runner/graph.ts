/**
 * SavedModel → an executable TensorFlow.js graph, in memory.
 *
 * Why this way: tfjs-converter already executes ~230 TensorFlow ops from a GraphDef written as
 * JSON (the `modelTopology` of a tfjs graph model), so the runner rewrites the SavedModel's graph
 * into exactly that form and hands it to `tf.loadGraphModel` through an in-memory IOHandler:
 *  - TF2 function calls (StatefulPartitionedCall / PartitionedCall, and direct calls) are inlined:
 *    body nodes get the call's name as a prefix, `node:output_arg:index` names become flat output
 *    indices, arguments map to the call's inputs and outputs to the function's `ret`;
 *  - variables become constants read from the TensorBundle: VariableV2/Variable by name (TF1),
 *    VarHandleOp through the object graph's checkpoint keys (`a/.ATTRIBUTES/VARIABLE_VALUE`),
 *    ReadVariableOp becomes Identity and ResourceGather GatherV2;
 *  - the graph is cut at the fed tensors (any tensor, not only Placeholders: in half_plus_two `x:0`
 *    is an Identity fed by ParseExample) and pruned to what the fetched outputs need;
 *  - ParseExample/ParseExampleV2 become a runner op (example.ts) that decodes tf.Example protos;
 *  - every remaining op is checked against what the engine runs before anything is loaded.
 */
import type { IAttrValue, IFunctionDef, IMetaGraphDef, INodeDef, ITensorShapeProto } from '../model/proto/schema';
import type { TensorBundle } from '../model/bundle/bundle';
import { RunnerError, unsupportedOp } from './errors';
import { isSupportedOp, REFUSED_OPS } from './ops';
import { decodeTensorProto, dtypeEnum, fromBundleValue, jsDtype, num, type HostTensor, type JsDtype, weightBytes } from './tensors';

/** A node in the working graph (plain strings, TensorFlow's own attr values). */
export interface WNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, IAttrValue>;
}

/** tfjs-converter's JSON forms. */
export interface JsonNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: JsDtype;
}

export interface ExecutableGraph {
  /** GraphDef JSON as tfjs-converter reads it. */
  topology: { node: JsonNode[]; versions: { producer: number } };
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  /** Fed tensor name (as given) → the placeholder node fed in the tfjs graph. */
  feeds: Map<string, string>;
  /** Fetched tensor name (as given) → "node:index" in the tfjs graph. */
  fetches: Map<string, string>;
  /** ParseExample specs of the runner op, by node name. */
  parseSpecs: ParseExampleSpec[];
  /** Ops in the pruned graph, with counts (for reports and FLOP estimates). */
  ops: Map<string, number>;
}

export interface DenseFeature {
  key: string;
  dtype: JsDtype;
  shape: number[];
  /** The tensor in the tfjs graph that holds the default (empty when required). */
  defaultInput: number;
}

export interface ParseExampleSpec {
  id: number;
  node: string;
  dense: DenseFeature[];
}

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
const VARIABLE_OPS = new Set(['VariableV2', 'Variable', 'VarHandleOp']);
const MAX_INLINE_DEPTH = 32;

/** Output argument lists of multi-output ops: [name, count from attrs]. Everything else has one list. */
function outputArgs(op: string, attr: Record<string, IAttrValue>): [string, number][] | undefined {
  const i = (k: string) => num(attr[k]?.i);
  const len = (k: string) => attr[k]?.list?.type?.length ?? 0;
  switch (op) {
    case 'ParseExample':
      return [['sparse_indices', i('Nsparse')], ['sparse_values', i('Nsparse')], ['sparse_shapes', i('Nsparse')], ['dense_values', i('Ndense')]];
    case 'ParseExampleV2':
      return [['sparse_indices', i('num_sparse')], ['sparse_values', i('num_sparse')], ['sparse_shapes', i('num_sparse')], ['dense_values', len('Tdense')], ['ragged_values', len('ragged_value_types')], ['ragged_row_splits', len('ragged_split_types')]];
    case 'TopKV2': case 'TopK': return [['values', 1], ['indices', 1]];
    case 'Unique': case 'UniqueV2': return [['y', 1], ['idx', 1]];
    case 'FusedBatchNorm': case 'FusedBatchNormV2': case 'FusedBatchNormV3':
      return [['y', 1], ['batch_mean', 1], ['batch_variance', 1], ['reserve_space_1', 1], ['reserve_space_2', 1], ['reserve_space_3', 1]];
    case 'NonMaxSuppressionV4': return [['selected_indices', 1], ['valid_outputs', 1]];
    case 'NonMaxSuppressionV5': return [['selected_indices', 1], ['selected_scores', 1], ['valid_outputs', 1]];
    case 'Switch': case 'RefSwitch': return [['output_false', 1], ['output_true', 1]];
    case 'Merge': case 'RefMerge': return [['output', 1], ['value_index', 1]];
    case 'MaxPoolWithArgmax': return [['output', 1], ['argmax', 1]];
    case 'ListDiff': return [['out', 1], ['idx', 1]];
    case 'SparseFillEmptyRows': return [['output_indices', 1], ['output_values', 1], ['empty_row_indicator', 1], ['reverse_index_map', 1]];
    case 'SparseReshape': return [['output_indices', 1], ['output_shape', 1]];
    case 'StringSplit': return [['indices', 1], ['values', 1], ['shape', 1]];
    case 'StringNGrams': return [['ngrams', 1], ['ngrams_splits', 1]];
    default: return undefined;
  }
}

/** The flat output index of `out:idx` on a node of `op`. */
function flatIndex(op: string, attr: Record<string, IAttrValue>, out: string, idx: number): number {
  const args = outputArgs(op, attr);
  if (!args) return idx;
  let at = 0;
  for (const [name, count] of args) {
    if (name === out) return at + idx;
    at += count;
  }
  return idx;
}

/** "x" → "x:0"; "x:1" stays; control inputs are undefined. */
export function canonical(ref: string): string | undefined {
  if (ref.startsWith('^')) return undefined;
  return /:\d+$/.test(ref) ? ref : `${ref}:0`;
}

export function nodeOf(ref: string): string {
  const m = /^(.*):\d+$/.exec(ref);
  return m ? m[1]! : ref;
}

function indexOf(ref: string): number {
  const m = /:(\d+)$/.exec(ref);
  return m ? Number(m[1]) : 0;
}

function funcName(n: INodeDef): string | undefined {
  const f = n.attr?.f?.func?.name;
  return f || undefined;
}

/**
 * Flattens the top-level graph: every function call is replaced by its body. Returns the nodes and
 * an alias map from a call's outputs ("call:k") to the tensors that compute them.
 */
export function inlineGraph(mg: IMetaGraphDef): { nodes: Map<string, WNode>; alias: Map<string, string> } {
  const lib = new Map<string, IFunctionDef>();
  for (const f of mg.graph_def?.library?.function ?? []) if (f.signature?.name) lib.set(f.signature.name, f);
  const nodes = new Map<string, WNode>();
  const alias = new Map<string, string>();

  const emitCall = (callName: string, fname: string, args: (string | undefined)[], depth: number) => {
    const fn = lib.get(fname);
    if (!fn) throw new RunnerError('unsupported-model', `Node "${callName}" calls function ${fname}, which is not in the graph's library.`, 'The SavedModel is incomplete; re-export it.');
    if (depth > MAX_INLINE_DEPTH) throw new RunnerError('unsupported-model', `Function calls nest deeper than ${MAX_INLINE_DEPTH} at "${callName}".`);
    const prefix = `${callName}/`;
    const argMap = new Map<string, string>();
    (fn.signature?.input_arg ?? []).forEach((a, i) => {
      const r = args[i];
      if (r !== undefined && a.name) argMap.set(a.name, r);
    });
    const body = new Map<string, INodeDef>();
    for (const b of fn.node_def ?? []) if (b.name) body.set(b.name, b);
    const resolve = (ref: string): string | undefined => {
      if (ref.startsWith('^')) return undefined;
      const parts = ref.split(':');
      if (parts.length === 1) return argMap.get(ref) ?? `${prefix}${ref}:0`;
      if (parts.length === 2) return `${prefix}${parts[0]}:${parts[1]}`;
      const [node, out, idx] = [parts.slice(0, -2).join(':'), parts[parts.length - 2]!, Number(parts[parts.length - 1])];
      const b = body.get(node);
      const flat = b ? flatIndex(b.op ?? '', b.attr ?? {}, out, idx) : idx;
      return `${prefix}${node}:${flat}`;
    };
    for (const b of fn.node_def ?? []) emitNode(b, prefix, resolve, depth + 1);
    (fn.signature?.output_arg ?? []).forEach((o, k) => {
      const r = fn.ret?.[o.name ?? ''];
      const t = r !== undefined ? resolve(r) : undefined;
      if (t) alias.set(`${callName}:${k}`, t);
    });
  };

  const emitNode = (n: INodeDef, prefix: string, resolve: (ref: string) => string | undefined, depth: number) => {
    const name = `${prefix}${n.name ?? ''}`;
    const op = n.op ?? '';
    const inputs = (n.input ?? []).map(resolve);
    const fname = CALL_OPS.has(op) ? funcName(n) : lib.has(op) ? op : undefined;
    if (fname) {
      emitCall(name, fname, inputs, depth);
      return;
    }
    nodes.set(name, { name, op, input: inputs.filter((x): x is string => x !== undefined), attr: n.attr ?? {} });
  };

  for (const n of mg.graph_def?.node ?? []) emitNode(n, '', canonical, 0);
  return { nodes, alias };
}

function resolveAlias(alias: Map<string, string>, ref: string): string {
  let r = ref;
  for (let i = 0; i < 1000 && alias.has(r); i++) r = alias.get(r)!;
  return r;
}

/** Checkpoint keys of TF2 variables: variable name (VarHandleOp shared_name) → key. */
export function checkpointKeys(mg: IMetaGraphDef): Map<string, string> {
  const keys = new Map<string, string>();
  const objs = mg.object_graph_def?.nodes ?? [];
  if (!objs.length) return keys;
  const seen = new Set<number>([0]);
  const queue: [number, string][] = [[0, '']];
  while (queue.length) {
    const [id, path] = queue.shift()!;
    const o = objs[id];
    if (!o) continue;
    if (o.variable?.name !== undefined && path) {
      const key = `${path}/.ATTRIBUTES/VARIABLE_VALUE`;
      if (!keys.has(o.variable.name)) keys.set(o.variable.name, key);
    }
    for (const c of o.children ?? []) {
      const cid = num(c.node_id);
      if (seen.has(cid)) continue;
      seen.add(cid);
      queue.push([cid, path ? `${path}/${c.local_name}` : `${c.local_name}`]);
    }
  }
  return keys;
}

function sharedName(n: WNode): string {
  const s = n.attr.shared_name?.s;
  return s && s.length ? new TextDecoder().decode(s) : n.name;
}

// ---------------------------------------------------------------------------------------------
// AttrValue → tfjs JSON (camelCase, bytes as base64, int64 as strings).

function b64(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
}

function shapeJson(s: ITensorShapeProto | null | undefined): unknown {
  if (!s) return {};
  const out: Record<string, unknown> = {};
  if (s.unknown_rank) out.unknownRank = true;
  out.dim = (s.dim ?? []).map((d) => ({ size: String(num(d.size)) }));
  return out;
}

function attrJson(a: IAttrValue): unknown {
  const which = a.value;
  switch (which) {
    case 's': return { s: b64(a.s ?? new Uint8Array(0)) };
    case 'i': return { i: String(num(a.i)) };
    case 'f': return { f: a.f };
    case 'b': return { b: a.b };
    case 'type': return { type: a.type };
    case 'shape': return { shape: shapeJson(a.shape) };
    case 'tensor': return { tensor: { dtype: a.tensor?.dtype, tensorShape: shapeJson(a.tensor?.tensor_shape) } };
    case 'func': return { func: { name: a.func?.name } };
    case 'placeholder': return { placeholder: a.placeholder };
    case 'list': {
      const l = a.list ?? {};
      const out: Record<string, unknown> = {};
      if (l.s?.length) out.s = l.s.map(b64);
      if (l.i?.length) out.i = l.i.map((x) => String(num(x)));
      if (l.f?.length) out.f = l.f;
      if (l.b?.length) out.b = l.b;
      if (l.type?.length) out.type = l.type;
      if (l.shape?.length) out.shape = l.shape.map(shapeJson);
      return { list: out };
    }
    default: return {};
  }
}

// ---------------------------------------------------------------------------------------------

export interface BuildOptions {
  mg: IMetaGraphDef;
  bundle?: TensorBundle;
  signature: string;
  /** Tensors fed (any tensor names of the graph), with the dtype they are fed as. */
  feeds: { tensor: string; dtype: JsDtype }[];
  /** Tensors fetched. */
  fetches: string[];
  /** The runner op's id allocator for ParseExample specs. */
  nextParseId: () => number;
}

/** Builds the executable graph for one set of feeds and fetches. */
export async function buildExecutable(o: BuildOptions): Promise<ExecutableGraph> {
  const { nodes, alias } = inlineGraph(o.mg);
  const keys = checkpointKeys(o.mg);
  const feeds = new Map<string, string>();
  const feedByRef = new Map<string, string>();
  o.feeds.forEach((f, i) => {
    const ref = resolveAlias(alias, canonical(f.tensor) ?? f.tensor);
    const ph = `__servelens_feed_${i}`;
    feeds.set(f.tensor, ph);
    feedByRef.set(ref, ph);
  });

  const kept = new Map<string, JsonNode>();
  const weights: { spec: WeightSpec; bytes: Uint8Array }[] = [];
  const parseSpecs: ParseExampleSpec[] = [];
  const ops = new Map<string, number>();
  const pending: Promise<void>[] = [];
  const fail = (op: string, node: string, why?: string): never => {
    throw unsupportedOp(op, node, o.signature, why);
  };

  const addConst = (name: string, t: HostTensor) => {
    kept.set(name, { name, op: 'Const', input: [], attr: { dtype: { type: dtNum(t.dtype) }, value: { tensor: { dtype: dtNum(t.dtype), tensorShape: { dim: t.shape.map((d) => ({ size: String(d) })) } } } } });
    weights.push({ spec: { name, shape: t.shape, dtype: t.dtype }, bytes: weightBytes(t) });
  };

  const mapInput = (ref: string): string => {
    const r = resolveAlias(alias, ref);
    const ph = feedByRef.get(r);
    return ph ? `${ph}:0` : r;
  };

  const visit = (ref: string): void => {
    const r = resolveAlias(alias, ref);
    if (feedByRef.has(r)) return;
    const nodeName = nodeOf(r);
    if (kept.has(nodeName)) return;
    const n = nodes.get(nodeName);
    if (!n) throw new RunnerError('unsupported-model', `Tensor ${ref} of signature "${o.signature}" names node "${nodeName}", which is not in the graph.`, 'The SavedModel is inconsistent; re-export it.');
    ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    if (n.op === 'Placeholder')
      throw new RunnerError('invalid-request', `Signature "${o.signature}" needs placeholder "${n.name}", which the request does not feed.`, 'Send every input of the signature.', { signature: o.signature });
    if (VARIABLE_OPS.has(n.op)) {
      const bundle = o.bundle;
      const shared = sharedName(n);
      const key = n.op === 'VarHandleOp' ? keys.get(shared) ?? (bundle?.has(shared) ? shared : n.name) : n.name;
      if (!bundle || !bundle.has(key))
        throw new RunnerError('unsupported-model', `Variable "${n.name}" (checkpoint key ${key}) of signature "${o.signature}" has no value: ${bundle ? 'the checkpoint has no such key' : 'the model has no variables/ folder'}.`, 'Run a SavedModel exported with its variables/ (variables.index and variables.data-*).');
      // Placeholder now, value read below (positioned reads of exactly the entry's bytes).
      kept.set(n.name, { name: n.name, op: 'Const', input: [], attr: {} });
      pending.push(
        bundle.read(key).then((v) => {
          let t: HostTensor;
          try {
            t = fromBundleValue(v);
          } catch (err) {
            fail(n.op, n.name, `${(err as Error).message} cannot be loaded into TensorFlow.js`);
            return;
          }
          addConst(n.name, t);
        }),
      );
      return;
    }
    if (n.op === 'Const') {
      let t: HostTensor;
      try {
        t = decodeTensorProto(n.attr.value?.tensor ?? {});
      } catch (err) {
        return fail('Const', n.name, (err as Error).message);
      }
      addConst(n.name, t);
      return;
    }
    if (REFUSED_OPS[n.op]) fail(n.op, n.name, REFUSED_OPS[n.op]);
    if (!isSupportedOp(n.op)) fail(n.op, n.name);
    for (const [k, a] of Object.entries(n.attr)) if (a.value === 'func' && !k.startsWith('_')) fail(n.op, n.name, `it calls function ${a.func?.name ?? '?'} through attr ${k}`);

    let op = n.op;
    let input = n.input.filter((x) => !x.startsWith('^'));
    const attr: Record<string, unknown> = {};
    for (const [k, a] of Object.entries(n.attr)) if (!k.startsWith('_')) attr[k] = attrJson(a);

    if (op === 'ReadVariableOp') {
      op = 'Identity';
      attr.T = { type: n.attr.dtype?.type ?? 1 };
    } else if (op === 'ResourceGather') {
      op = 'GatherV2';
      const axis = `${n.name}/__servelens_axis`;
      addConst(axis, { dtype: 'int32', shape: [], values: new Int32Array([num(n.attr.batch_dims?.i)]) });
      input = [...input.slice(0, 2), `${axis}:0`];
      attr.Tparams = { type: n.attr.dtype?.type ?? 1 };
      attr.batch_dims = { i: String(num(n.attr.batch_dims?.i)) };
    } else if (op === 'ParseExample' || op === 'ParseExampleV2') {
      const spec = parseExampleSpec(n, o.signature, o.nextParseId());
      let keyNames: string[];
      try {
        keyNames = denseKeysOf(nodes, alias, n);
      } catch (err) {
        return fail(n.op, n.name, (err as Error).message);
      }
      spec.dense.forEach((d, i) => (d.key = keyNames[i] ?? ''));
      parseSpecs.push(spec);
      // The runner op takes the serialized examples and the dense defaults (all other inputs are keys and names).
      const defaults = op === 'ParseExample' ? input.slice(2 + num(n.attr.Nsparse?.i) + spec.dense.length) : input.slice(5);
      input = [input[0]!, ...defaults];
      op = 'ServeLensParseExample';
      for (const k of Object.keys(attr)) delete attr[k];
      attr.servelens_spec = { i: String(spec.id) };
    } else if (op === 'Placeholder' || op === 'PlaceholderWithDefault') {
      delete attr.shape;
    }
    kept.set(n.name, { name: n.name, op, input: input.map(mapInput), attr });
    for (const i of input) visit(i);
  };

  for (const f of o.fetches) visit(canonical(f) ?? f);
  await Promise.all(pending);

  const feedNodes: JsonNode[] = o.feeds.map((f, i) => ({ name: `__servelens_feed_${i}`, op: 'Placeholder', input: [], attr: { dtype: { type: dtNum(f.dtype) } } }));
  // Outputs get their own Identity so every fetch is "node:0" of a node we name.
  const fetches = new Map<string, string>();
  const outNodes: JsonNode[] = o.fetches.map((f, i) => {
    const name = `__servelens_fetch_${i}`;
    fetches.set(f, `${name}:0`);
    return { name, op: 'Identity', input: [mapInput(canonical(f) ?? f)], attr: {} };
  });

  const total = weights.reduce((s, w) => s + w.bytes.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const w of weights) {
    data.set(w.bytes, at);
    at += w.bytes.length;
  }
  return {
    topology: { node: [...feedNodes, ...kept.values(), ...outNodes], versions: { producer: num(o.mg.graph_def?.versions?.producer) || 1 } },
    weightSpecs: weights.map((w) => w.spec),
    weightData: data.buffer,
    feeds,
    fetches,
    parseSpecs,
    ops,
  };
}

function dtNum(d: JsDtype): number {
  return d === 'float32' ? 1 : d === 'int32' ? 3 : d === 'bool' ? 10 : 7;
}

function parseExampleSpec(n: WNode, signature: string, id: number): ParseExampleSpec {
  const v2 = n.op === 'ParseExampleV2';
  const nsparse = num(v2 ? n.attr.num_sparse?.i : n.attr.Nsparse?.i);
  if (nsparse > 0) throw unsupportedOp(n.op, n.name, signature, `${nsparse} sparse feature(s) (tf.io.VarLenFeature); only dense (FixedLenFeature) features are parsed locally`);
  if (v2 && ((n.attr.ragged_value_types?.list?.type?.length ?? 0) > 0)) throw unsupportedOp(n.op, n.name, signature, 'ragged features; only dense (FixedLenFeature) features are parsed locally');
  const types = n.attr.Tdense?.list?.type ?? [];
  const shapes = n.attr.dense_shapes?.list?.shape ?? [];
  // The keys: V1 has one scalar Const input per key; V2 one string vector Const (resolved at load, see engine).
  const dense: DenseFeature[] = types.map((t, i) => {
    const js = jsDtype(t);
    if (!js || js === 'bool') throw unsupportedOp(n.op, n.name, signature, `a dense feature of dtype ${t}`);
    return { key: '', dtype: js, shape: (shapes[i]?.dim ?? []).map((d) => num(d.size)), defaultInput: i + 1 };
  });
  return { id, node: n.name, dense };
}

/** The dense keys of a ParseExample node: read from its Const inputs. */
export function denseKeysOf(nodes: Map<string, WNode>, alias: Map<string, string>, n: WNode): string[] {
  const dec = new TextDecoder();
  const constStrings = (ref: string): string[] => {
    const c = nodes.get(nodeOf(resolveAlias(alias, ref)));
    if (!c || c.op !== 'Const') throw new Error(`key input ${ref} is not a constant`);
    const t = decodeTensorProto(c.attr.value?.tensor ?? {});
    return (t.values as Uint8Array[]).map((b) => dec.decode(b));
  };
  if (n.op === 'ParseExample') {
    const ns = num(n.attr.Nsparse?.i);
    const nd = num(n.attr.Ndense?.i);
    return n.input.slice(2 + ns, 2 + ns + nd).flatMap(constStrings);
  }
  return constStrings(n.input[3]!);
}

export { indexOf, resolveAlias, dtypeEnum };
