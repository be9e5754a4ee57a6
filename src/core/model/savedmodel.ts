/**
 * The full binary reader of `saved_model.pb`: decodes the whole SavedModel with protobufjs (graph,
 * function library, object graph and all) and summarizes it into the shared `ModelSummary` /
 * `MetaGraphSummary` / `Signature` contract.
 *
 * The summarizer takes decoded messages (`ISavedModel`, `IMetaGraphDef`), so it serves the
 * text-format reader too: anything that produces the same message shapes gets the same summary.
 *
 * Signature order: signatures appear in the order their map entries are stored in the file
 * (TensorFlow writes them sorted by key). The one exception comes from JavaScript objects: keys
 * that look like array indices ("0", "12") come first, in ascending numeric order.
 */
import { open } from 'node:fs/promises';
import * as protobuf from 'protobufjs';
import { IoError, ModelFormatError, ServeLensError, UsageError } from '../errors';
import {
  dtypeName,
  toNumber,
  types,
  type IAssetFileDef,
  type IGraphDef,
  type IMetaGraphDef,
  type INodeDef,
  type ISavedModel,
  type ITensorInfo,
  type ITensorShapeProto,
  type ITypeSpecProto,
} from './proto/schema';
import { readFingerprint } from './fingerprint';
import type { ResolvedModel } from './resolve';
import type { AssetRef, Fingerprint, MetaGraphSummary, ModelSummary, OpUse, Shape, Signature, TensorSpec } from './types';

/** protobuf's own limit on a serialized message (and TensorFlow's on saved_model.pb). */
export const MAX_SAVED_MODEL_BYTES = 2 ** 31 - 1;

export interface DecodedSavedModel {
  /** The file the bytes came from (for messages). */
  file: string;
  /** Size of the decoded input in bytes. */
  byteLength: number;
  /** saved_model_schema_version. */
  schemaVersion: number;
  /** The decoded MetaGraphDefs (never empty). */
  metaGraphs: IMetaGraphDef[];
  /** The whole decoded message. */
  message: ISavedModel;
}

/** What a protobufjs failure means, in the words of a ModelFormatError's `expected`. */
function expectedFor(err: unknown): { expected: string; detail: string } {
  const detail = err instanceof Error ? err.message : String(err);
  if (/index out of range/.test(detail))
    return { expected: 'a field that fits in the bytes left (the file is truncated or a length is corrupt)', detail };
  const wire = /invalid wire type (\d+)/.exec(detail);
  if (wire) return { expected: 'a protobuf field tag with wire type 0 to 5', detail: `wire type ${wire[1]}` };
  if (/max depth exceeded/.test(detail))
    return { expected: `messages nested at most ${protobuf.util.recursionLimit} deep`, detail };
  if (/varint/.test(detail)) return { expected: 'a varint of at most 10 bytes', detail };
  if (/end group/.test(detail)) return { expected: 'a matching end-group tag', detail };
  return { expected: 'a SavedModel protocol buffer', detail };
}

// 64-bit varints. protobufjs returns every int64/uint64 as a Long object; a graph holds hundreds of
// thousands of them (each dimension of each shape, strides, ...), all small. The readers below
// give a plain number whenever it is exact (|v| < 2^53) and a Long (or, without long.js, a bigint)
// only beyond, which keeps values exact and cuts the garbage a full decode makes. Consumers read
// them through the schema's toNumber / toBigInt / toDecimal, which accept all of these.

interface VarintReader {
  buf: Uint8Array;
  pos: number;
  len: number;
}

let varLo = 0;
let varHi = 0;

function outOfRange(r: VarintReader): RangeError {
  return new RangeError(`index out of range: ${r.pos} + 1 > ${r.len}`);
}

/** Reads a varint of up to 10 bytes into varLo / varHi (two uint32). */
function readVarint64(r: VarintReader): void {
  const buf = r.buf;
  const end = r.len;
  let pos = r.pos;
  let lo = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw outOfRange(r);
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      varLo = lo >>> 0;
      varHi = 0;
      return;
    }
  }
  if (pos >= end) throw outOfRange(r);
  b = buf[pos++]!;
  lo |= (b & 0x7f) << 28;
  let hi = (b & 0x7f) >> 4;
  if (b >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (shift > 31) throw new Error('invalid varint encoding');
      if (pos >= end) throw outOfRange(r);
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
  }
  r.pos = pos;
  varLo = lo >>> 0;
  varHi = hi >>> 0;
}

const TWO_32 = 4294967296;

function wideValue(lo: number, hi: number, unsigned: boolean): protobuf.Long | bigint {
  const Long = protobuf.util.Long as unknown as
    | { fromBits(lo: number, hi: number, unsigned: boolean): protobuf.Long }
    | null
    | undefined;
  if (Long) return Long.fromBits(lo | 0, hi | 0, unsigned);
  const u = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return unsigned ? u : BigInt.asIntN(64, u);
}

function readInt64(this: VarintReader): number | protobuf.Long | bigint {
  readVarint64(this);
  const hi = varHi | 0;
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_32 + varLo;
  return wideValue(varLo, varHi, false);
}

function readUint64(this: VarintReader): number | protobuf.Long | bigint {
  readVarint64(this);
  if (varHi < 0x200000) return varHi * TWO_32 + varLo;
  return wideValue(varLo, varHi, true);
}

/** A protobufjs reader over `bytes` whose int64/uint64 reads return exact numbers when they can. */
export function createReader(bytes: Uint8Array): protobuf.Reader {
  const reader = protobuf.Reader.create(asBuffer(bytes));
  const methods = reader as unknown as Record<'int64' | 'uint64', (this: VarintReader) => unknown>;
  methods.int64 = readInt64;
  methods.uint64 = readUint64;
  return reader;
}

function asBuffer(bytes: Uint8Array): Buffer {
  // protobufjs reads strings of a Buffer with Node's native UTF-8 decoder; wrap without copying.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a protobuf message of `type` from `bytes`; any failure becomes a ModelFormatError with
 * the byte offset where the reader stopped. `baseOffset` is where `bytes` start in `file` (for a
 * message embedded in a larger file); `null` when that is not known, and then the error carries
 * no file offset and names the position inside the message in its detail instead.
 */
export function decodeMessage<T>(
  type: protobuf.Type,
  bytes: Uint8Array,
  file: string,
  what: string,
  baseOffset: number | null = 0,
): T {
  const reader = createReader(bytes);
  try {
    return type.decode(reader) as unknown as T;
  } catch (err) {
    const { expected, detail } = expectedFor(err);
    const at = Math.min(reader.pos, bytes.length);
    if (baseOffset === null)
      throw new ModelFormatError({ file }, expected, `${what}, at byte ${at} of that message: ${detail}`);
    throw new ModelFormatError({ file, offset: baseOffset + at }, expected, `${what}: ${detail}`);
  }
}

/**
 * Decodes a whole `saved_model.pb`. Throws ModelFormatError (with the byte offset) when the bytes
 * are not a SavedModel or hold no MetaGraphDef.
 */
export function decodeSavedModel(bytes: Uint8Array, file: string): DecodedSavedModel {
  if (bytes.length > MAX_SAVED_MODEL_BYTES)
    throw new ModelFormatError({ file, offset: MAX_SAVED_MODEL_BYTES }, 'a SavedModel of at most 2 GiB (protobuf limit)');
  const message = decodeMessage<ISavedModel>(types.SavedModel, bytes, file, 'SavedModel');
  const metaGraphs = message.meta_graphs ?? [];
  if (metaGraphs.length === 0)
    throw new ModelFormatError(
      { file, offset: 0 },
      'at least one MetaGraphDef (SavedModel field 2)',
      bytes.length === 0 ? 'the file is empty' : `${bytes.length} bytes decoded to a SavedModel without meta graphs`,
    );
  return {
    file,
    byteLength: bytes.length,
    schemaVersion: toNumber(message.saved_model_schema_version),
    metaGraphs,
    message,
  };
}

/**
 * Reads a whole file into memory: one buffer of the size the file has when opened (never more),
 * filled by positioned reads. Typed IoError on failure.
 */
export async function readFileBounded(path: string, maxBytes = MAX_SAVED_MODEL_BYTES): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new IoError(path, err);
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes)
      throw new ModelFormatError({ file: path, offset: maxBytes }, `a file of at most ${maxBytes} bytes`, `it has ${size}`);
    const buf = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buf, filled, size - filled, filled);
      if (bytesRead === 0) break; // the file shrank while we read it
      filled += bytesRead;
    }
    return filled === size ? buf : buf.subarray(0, filled);
  } catch (err) {
    if (ServeLensError.is(err)) throw err;
    throw new IoError(path, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads and decodes a `saved_model.pb` file. IoError if it cannot be read, ModelFormatError if corrupt. */
export async function readSavedModelFile(path: string): Promise<DecodedSavedModel> {
  return decodeSavedModel(await readFileBounded(path), path);
}

// ---------------------------------------------------------------------------------------------
// Summaries.

export interface SummarizeOptions {
  /** Collect op usage (`MetaGraphSummary.ops`); default true. */
  ops?: boolean;
  /** How many node names to keep per op type; default 3. */
  maxOpNodes?: number;
  /** The file the messages came from, for errors found while summarizing (embedded Any messages). */
  file?: string;
}

/** A TensorShapeProto as a `Shape`: -1 for unknown dims, null for unknown rank or no shape at all. */
export function shapeOf(shape: ITensorShapeProto | null | undefined): Shape {
  if (!shape || shape.unknown_rank) return null;
  const dims = shape.dim ?? [];
  const out = new Array<number>(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const size = toNumber(dims[i]!.size);
    out[i] = size < 0 ? -1 : size;
  }
  return out;
}

const TYPE_SPEC_CLASS_NAMES: Record<number, string> = {
  1: 'SparseTensorSpec',
  2: 'IndexedSlicesSpec',
  3: 'RaggedTensorSpec',
  4: 'TensorArraySpec',
  5: 'DatasetSpec',
  6: 'IteratorSpec',
  7: 'OptionalSpec',
  8: 'PerReplicaSpec',
  9: 'VariableSpec',
  10: 'RowPartitionSpec',
  12: 'RegisteredTypeSpec',
  13: 'ExtensionTypeSpec',
};

/** A short name for a composite tensor's TypeSpec: the registered class name, or the spec kind. */
export function describeTypeSpec(spec: ITypeSpecProto | null | undefined): string {
  if (!spec) return 'TypeSpec';
  if (spec.type_spec_class_name) return spec.type_spec_class_name;
  return TYPE_SPEC_CLASS_NAMES[spec.type_spec_class ?? 0] ?? 'TypeSpec';
}

function encodingOf(info: ITensorInfo): 'name' | 'coo_sparse' | 'composite_tensor' {
  const set = info.encoding; // protobufjs' oneof getter on decoded messages
  if (set === 'coo_sparse' || set === 'composite_tensor' || set === 'name') return set;
  if (info.coo_sparse) return 'coo_sparse';
  if (info.composite_tensor) return 'composite_tensor';
  return 'name';
}

/** One signature input/output (or a composite component) as a TensorSpec. */
export function tensorSpecOf(alias: string, info: ITensorInfo, depth = 0): TensorSpec {
  const spec: TensorSpec = {
    alias,
    dtype: dtypeName(info.dtype),
    shape: shapeOf(info.tensor_shape),
    tensor: info.name ?? '',
  };
  const encoding = encodingOf(info);
  if (encoding === 'coo_sparse') {
    const coo = info.coo_sparse ?? {};
    spec.tensor = coo.values_tensor_name ?? '';
    spec.encoding = 'coo_sparse';
    spec.cooSparse = {
      values: coo.values_tensor_name ?? '',
      indices: coo.indices_tensor_name ?? '',
      denseShape: coo.dense_shape_tensor_name ?? '',
    };
  } else if (encoding === 'composite_tensor') {
    const composite = info.composite_tensor ?? {};
    // Composite components are TensorInfos themselves; nesting is bounded by the decoder's own limit,
    // but a text-format or hand-built message could nest deeper, so stop describing past 32 levels.
    const components =
      depth < 32 ? (composite.components ?? []).map((c, i) => tensorSpecOf(`${alias}[${i}]`, c, depth + 1)) : [];
    spec.tensor = components[0]?.tensor ?? '';
    spec.encoding = 'composite';
    spec.composite = { typeSpec: describeTypeSpec(composite.type_spec), components };
  }
  return spec;
}

function tensorSpecs(map: Record<string, ITensorInfo> | undefined): TensorSpec[] {
  if (!map) return [];
  const out: TensorSpec[] = [];
  for (const alias of Object.keys(map)) out.push(tensorSpecOf(alias, map[alias]!));
  return out;
}

/** The SignatureDefs of a meta graph, in stored order (see the module comment). */
export function signaturesOf(mg: IMetaGraphDef): Signature[] {
  const defs = mg.signature_def ?? {};
  const out: Signature[] = [];
  for (const name of Object.keys(defs)) {
    const def = defs[name]!;
    out.push({
      name,
      method: def.method_name ?? '',
      inputs: tensorSpecs(def.inputs),
      outputs: tensorSpecs(def.outputs),
    });
  }
  return out;
}

/** The text of a Const node's first string element, if it is one. */
function constString(node: INodeDef | undefined): string | undefined {
  const tensor = node?.attr?.['value']?.tensor;
  const first = tensor?.string_val?.[0];
  return first ? Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('utf8') : undefined;
}

function fileNameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut >= 0 ? path.slice(cut + 1) : path;
}

function nodeNameOf(tensor: string): string {
  const base = tensor.startsWith('^') ? tensor.slice(1) : tensor;
  const colon = base.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(base.slice(colon + 1)) ? base.slice(0, colon) : base;
}

/**
 * The assets a meta graph declares, from (in this order, without duplicates):
 *  1. `asset_file_def` (TF 1.15+/TF2 exports);
 *  2. the TF1 `saved_model_assets` collection (AssetFileDefs packed in Any);
 *  3. the TF1 `asset_filepaths` collection: tensor names of Const nodes that hold the path the
 *     asset had at export time; the file name is that path's last component.
 */
export function assetsOf(mg: IMetaGraphDef, file = '<saved model>'): AssetRef[] {
  const out: AssetRef[] = [];
  const seenTensors = new Set<string>();
  const add = (def: IAssetFileDef): void => {
    const tensor = def.tensor_info?.name ?? '';
    if (tensor && seenTensors.has(tensor)) return;
    if (tensor) seenTensors.add(tensor);
    out.push(tensor ? { filename: def.filename ?? '', tensor } : { filename: def.filename ?? '' });
  };
  for (const def of mg.asset_file_def ?? []) add(def);

  const collections = mg.collection_def ?? {};
  const packed = collections['saved_model_assets']?.any_list?.value ?? [];
  for (const any of packed) {
    if (!any.type_url?.endsWith('tensorflow.AssetFileDef') || !any.value) continue;
    add(decodeMessage<IAssetFileDef>(types.AssetFileDef, any.value, file, 'an AssetFileDef in collection saved_model_assets', null));
  }

  const paths = collections['asset_filepaths']?.node_list?.value ?? [];
  if (paths.length) {
    const byName = new Map<string, INodeDef>();
    for (const node of mg.graph_def?.node ?? []) if (node.name) byName.set(node.name, node);
    for (const tensor of paths) {
      if (seenTensors.has(tensor)) continue;
      const path = constString(byName.get(nodeNameOf(tensor)));
      if (path === undefined) continue; // not a string Const: nothing names the file
      seenTensors.add(tensor);
      out.push({ filename: fileNameOf(path), tensor });
    }
  }
  return out;
}

/**
 * Op types used by a graph and its function library, sorted by op name, each with its count and
 * the first `maxNodes` node names. Nodes inside a library function are named
 * `<function name>/<node name>`.
 */
export function collectOpUsage(graph: IGraphDef | null | undefined, maxNodes = 3): OpUse[] {
  const uses = new Map<string, OpUse>();
  const visit = (nodes: INodeDef[] | undefined, prefix: string): void => {
    if (!nodes) return;
    for (const node of nodes) {
      const op = node.op ?? '';
      let use = uses.get(op);
      if (!use) uses.set(op, (use = { op, count: 0, nodes: [] }));
      use.count++;
      if (use.nodes.length < maxNodes) use.nodes.push(prefix + (node.name ?? ''));
    }
  };
  visit(graph?.node, '');
  for (const fn of graph?.library?.function ?? []) visit(fn.node_def, `${fn.signature?.name ?? ''}/`);
  return [...uses.values()].sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
}

/** One MetaGraphDef as a MetaGraphSummary. */
export function summarizeMetaGraph(mg: IMetaGraphDef, opts: SummarizeOptions = {}): MetaGraphSummary {
  const info = mg.meta_info_def;
  const summary: MetaGraphSummary = {
    tags: [...(info?.tags ?? [])],
    signatures: signaturesOf(mg),
    hasObjectGraph: !!mg.object_graph_def,
    assets: assetsOf(mg, opts.file),
  };
  if (info?.tensorflow_version) summary.tfVersion = info.tensorflow_version;
  if (info?.tensorflow_git_version) summary.tfGitVersion = info.tensorflow_git_version;
  const stripped = info?.stripped_op_list?.op;
  if (stripped && stripped.length) summary.strippedOps = stripped.map((op) => op.name ?? '');
  if (opts.ops !== false && mg.graph_def) summary.ops = collectOpUsage(mg.graph_def, opts.maxOpNodes ?? 3);
  return summary;
}

/** Where the model came from, for the summary (see `ResolvedModel`). */
export interface SummaryLocation {
  dir: string;
  /** Defaults to the decoded model's file. */
  file?: string;
  version?: string;
  versions?: string[];
  fingerprint?: Fingerprint;
}

/** A whole SavedModel (decoded binary, or any ISavedModel) as a ModelSummary. */
export function summarizeSavedModel(
  model: DecodedSavedModel | ISavedModel,
  where: SummaryLocation,
  opts: SummarizeOptions = {},
): ModelSummary {
  const decoded = 'message' in model ? (model as DecodedSavedModel) : undefined;
  const message: ISavedModel = decoded ? decoded.message : (model as ISavedModel);
  const file = where.file ?? decoded?.file ?? '';
  const summary: ModelSummary = {
    format: 'savedmodel',
    dir: where.dir,
    file,
    schemaVersion: toNumber(message.saved_model_schema_version),
    metaGraphs: (message.meta_graphs ?? []).map((mg) => summarizeMetaGraph(mg, { file, ...opts })),
  };
  if (where.version !== undefined) summary.version = where.version;
  if (where.versions !== undefined) summary.versions = where.versions;
  if (where.fingerprint !== undefined) summary.fingerprint = where.fingerprint;
  return summary;
}


/**
 * Reads a resolved binary SavedModel (`kind: 'savedmodel-pb'`) with its fingerprint.pb, and returns
 * both the decoded messages (for the runner) and the summary (for the inspector, lint and CLI).
 */
export async function inspectSavedModelPb(
  resolved: ResolvedModel,
  opts: SummarizeOptions = {},
): Promise<{ decoded: DecodedSavedModel; summary: ModelSummary }> {
  if (resolved.kind !== 'savedmodel-pb')
    throw new UsageError(`${resolved.file} is a ${resolved.kind} model, not a binary SavedModel.`);
  const [decoded, fingerprint] = await Promise.all([readSavedModelFile(resolved.file), readFingerprint(resolved.dir)]);
  const where: SummaryLocation = { dir: resolved.dir, file: resolved.file };
  if (resolved.version !== undefined) where.version = resolved.version;
  if (resolved.versions !== undefined) where.versions = resolved.versions;
  if (fingerprint) where.fingerprint = fingerprint;
  return { decoded, summary: summarizeSavedModel(decoded, where, opts) };
}
