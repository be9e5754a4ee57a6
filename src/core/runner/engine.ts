/**
 * The engine: opens a model (SavedModel .pb/.pbtxt with its variables, or a tfjs graph model.json),
 * compiles one TensorFlow.js graph per (signature, fed tensors) and runs it on host tensors.
 * Pure Node; TensorFlow.js is loaded on the first compile (tfjs.ts).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openBundle, type TensorBundle } from '../model/bundle/bundle';
import type { IMetaGraphDef } from '../model/proto/schema';
import { parseSavedModelText } from '../model/pbtxt';
import { resolveModelPath, type ResolvedModel } from '../model/resolve';
import { readFileBounded, readSavedModelFile, signaturesOf } from '../model/savedmodel';
import { readTfjsModel } from '../model/tfjs';
import type { Signature, TensorSpec } from '../model/types';
import { RunnerError, unsupportedOp } from './errors';
import { allocateParseId, registerParseExampleOp, registerParseSpecs } from './example';
import { buildExecutable, canonical, nodeOf, type ExecutableGraph, type JsonNode, type WeightSpec } from './graph';
import { REFUSED_OPS, TFJS_OPS } from './ops';
import { dtypeEnum, jsDtype, sizeOf, type HostTensor, type JsDtype } from './tensors';
import { loadTf, type BackendName, type TfRuntime } from './tfjs';

/** Inputs larger than this many elements (all tensors of one run together) are refused. */
export const MAX_INPUT_ELEMENTS = 64 * 1024 * 1024;

export interface OpenOptions {
  /** A version folder of a TF Serving base directory. */
  version?: string;
  backend?: BackendName;
}

type GraphModel = import('@tensorflow/tfjs-converter').GraphModel;

interface Compiled {
  model: GraphModel;
  feeds: Map<string, string>;
  fetches: Map<string, string>;
  /** Ops of the graph with counts. */
  ops: Map<string, number>;
  /** Const values by node name, for FLOP estimates (shapes only). */
  weightShapes: Map<string, number[]>;
  topology: JsonNode[];
  /** Needs executeAsync (control flow, dynamic shapes); learnt on the first run. */
  dynamic?: boolean;
}

export interface RunResult {
  outputs: Record<string, HostTensor>;
  backend: BackendName;
}

function chooseMetaGraph(mgs: IMetaGraphDef[]): IMetaGraphDef {
  const tags = (m: IMetaGraphDef) => m.meta_info_def?.tags ?? [];
  return mgs.find((m) => tags(m).length === 1 && tags(m)[0] === 'serve') ?? mgs.find((m) => tags(m).includes('serve')) ?? mgs[0]!;
}

export class Engine {
  private readonly cache = new Map<string, Promise<Compiled>>();
  private rt?: TfRuntime;

  private constructor(
    readonly resolved: ResolvedModel,
    readonly format: 'savedmodel' | 'tfjs-graph',
    readonly signatures: Signature[],
    private readonly mg: IMetaGraphDef | undefined,
    private readonly bundle: TensorBundle | undefined,
    private readonly tfjsJson: Record<string, unknown> | undefined,
    private readonly prefer: BackendName,
  ) {}

  /** Opens a model path (anything resolveModelPath accepts). */
  static async open(path: string, opts: OpenOptions = {}): Promise<Engine> {
    const resolved = await resolveModelPath(path, opts.version !== undefined ? { version: opts.version } : {});
    const prefer = opts.backend ?? 'wasm';
    if (resolved.kind === 'tfjs') {
      const text = (await readFileBounded(resolved.file)).toString('utf8');
      const json = JSON.parse(text) as Record<string, unknown>;
      const fmt = String(json.format ?? '');
      const topo = json.modelTopology as Record<string, unknown> | undefined;
      if (fmt === 'layers-model' || (topo && ('model_config' in topo || 'class_name' in topo)))
        throw new RunnerError('unsupported-model', `${resolved.file} is a TensorFlow.js layers model; the local runner runs graph models.`, 'Convert it with tensorflowjs_converter --input_format=tfjs_layers_model --output_format=tfjs_graph_model, or run the SavedModel it came from.');
      const summary = await readTfjsModel(resolved.file);
      const sigs = summary.metaGraphs[0]?.signatures ?? [];
      return new Engine(resolved, 'tfjs-graph', sigs, undefined, undefined, json, prefer);
    }
    let mgs: IMetaGraphDef[];
    if (resolved.kind === 'savedmodel-pbtxt') {
      const text = (await readFileBounded(resolved.file)).toString('utf8');
      mgs = parseSavedModelText(text, resolved.file).meta_graphs ?? [];
    } else {
      mgs = (await readSavedModelFile(resolved.file)).metaGraphs;
    }
    if (!mgs.length) throw new RunnerError('unsupported-model', `${resolved.file} holds no MetaGraphDef.`);
    const mg = chooseMetaGraph(mgs);
    let bundle: TensorBundle | undefined;
    try {
      bundle = await openBundle(join(resolved.dir, 'variables'));
    } catch {
      bundle = undefined; // a graph without variables still runs; one that needs them says so when compiled
    }
    return new Engine(resolved, 'savedmodel', signaturesOf(mg), mg, bundle, undefined, prefer);
  }

  signature(name: string | undefined): Signature {
    const want = name ?? 'serving_default';
    const s = this.signatures.find((x) => x.name === want) ?? (name === undefined && this.signatures.filter((x) => x.inputs.length).length === 1 ? this.signatures.find((x) => x.inputs.length) : undefined);
    if (!s)
      throw new RunnerError('invalid-request', `The model has no signature "${want}" (signatures: ${this.signatures.filter((x) => x.inputs.length).map((x) => x.name).join(', ') || 'none'}).`, 'Name one with signature_name (or --signature).', { signature: want });
    return s;
  }

  async runtime(): Promise<TfRuntime> {
    if (!this.rt) {
      this.rt = await loadTf(this.prefer);
      registerParseExampleOp(this.rt.tf, this.rt.converter);
    }
    return this.rt;
  }

  get backend(): BackendName | undefined {
    return this.rt?.backend;
  }

  /** The dtype a signature input is fed as. */
  inputDtype(spec: TensorSpec): JsDtype {
    const dt = jsDtype(dtypeEnum(spec.dtype));
    if (dt) return dt;
    if (spec.dtype && spec.dtype !== 'DT_INVALID') throw new RunnerError('unsupported-model', `Input "${spec.alias}" has dtype ${spec.dtype}, which TensorFlow.js cannot hold.`);
    // No dtype in the signature (old text exports): the graph node says.
    const n = this.mg?.graph_def?.node?.find((x) => x.name === nodeOf(canonical(spec.tensor) ?? spec.tensor));
    const t = n?.attr?.T?.type ?? n?.attr?.dtype?.type;
    return (t !== undefined ? jsDtype(t) : undefined) ?? 'float32';
  }

  /** Compiles (once) the graph that feeds `inputs` and fetches `outputs` of a signature. */
  compile(sig: Signature, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[]): Promise<Compiled> {
    const key = `${sig.name}\u0000${inputs.map((i) => i.tensor).join(',')}\u0000${outputs.map((o) => o.tensor).join(',')}`;
    let c = this.cache.get(key);
    if (!c) {
      c = this.doCompile(sig, inputs, outputs);
      c.catch(() => this.cache.delete(key));
      this.cache.set(key, c);
    }
    return c;
  }

  private async doCompile(sig: Signature, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[]): Promise<Compiled> {
    if (this.format === 'tfjs-graph') return this.compileTfjs(sig);
    for (const o of outputs)
      if (o.encoding) throw new RunnerError('unsupported-model', `Output "${o.alias}" of signature "${sig.name}" is ${o.encoding}; the local runner fetches dense tensors.`);
    const g = await buildExecutable({
      mg: this.mg!,
      bundle: this.bundle,
      signature: sig.name,
      feeds: inputs.map((i) => ({ tensor: i.tensor, dtype: this.inputDtype(i) })),
      fetches: outputs.map((o) => o.tensor),
      nextParseId: allocateParseId,
    });
    const { tf, converter } = await this.runtime();
    registerParseSpecs(g.parseSpecs);
    const model = await converter.loadGraphModel(memoryHandler(g, tf));
    return { model, feeds: g.feeds, fetches: g.fetches, ops: g.ops, weightShapes: new Map(g.weightSpecs.map((w) => [w.name, w.shape])), topology: g.topology.node };
  }

  private async compileTfjs(sig: Signature): Promise<Compiled> {
    const json = this.tfjsJson!;
    const topo = (json.modelTopology ?? {}) as { node?: JsonNode[]; library?: { function?: { signature?: { name?: string }; nodeDef?: JsonNode[] }[] } };
    const fnNames = new Set((topo.library?.function ?? []).map((f) => f.signature?.name ?? ''));
    const check = (nodes: JsonNode[]) => {
      for (const n of nodes) {
        if (TFJS_OPS.has(n.op) || REFUSED_OPS[n.op] || fnNames.has(n.op)) continue;
        throw unsupportedOp(n.op, n.name, sig.name);
      }
    };
    check(topo.node ?? []);
    for (const f of topo.library?.function ?? []) check(f.nodeDef ?? []);
    const { converter } = await this.runtime();
    const artifacts = await readTfjsArtifacts(this.resolved.file, json);
    const model = await converter.loadGraphModel({ load: async () => artifacts });
    const feeds = new Map(sig.inputs.map((i) => [i.tensor, i.tensor]));
    const fetches = new Map(sig.outputs.map((o) => [o.tensor, o.tensor]));
    const ops = new Map<string, number>();
    for (const n of topo.node ?? []) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    const weightShapes = new Map(((artifacts.weightSpecs ?? []) as WeightSpec[]).map((w) => [w.name, w.shape]));
    return { model, feeds, fetches, ops, weightShapes, topology: topo.node ?? [] };
  }

  /**
   * Runs a signature. `feeds` is keyed by input alias (every alias of the signature, or any subset
   * of tensors when `inputSpecs` names them); outputs keyed by output alias.
   */
  async run(sig: Signature, feeds: Record<string, HostTensor>, opts: { inputSpecs?: TensorSpec[]; outputs?: TensorSpec[] } = {}): Promise<RunResult> {
    const inputs = opts.inputSpecs ?? sig.inputs;
    const outputs = opts.outputs ?? sig.outputs.filter((o) => o.dtype !== 'DT_INVALID' || o.tensor !== 'NoOp');
    let elements = 0;
    for (const i of inputs) {
      const t = feeds[i.alias];
      if (!t) throw new RunnerError('invalid-request', `Input "${i.alias}" of signature "${sig.name}" is not fed.`, `Send a value for every input: ${sig.inputs.map((x) => x.alias).join(', ')}.`);
      elements += sizeOf(t.shape);
    }
    if (elements > MAX_INPUT_ELEMENTS)
      throw new RunnerError('too-large', `The request holds ${elements} input values; the local runner takes at most ${MAX_INPUT_ELEMENTS} per run.`, 'Split the instances into smaller requests, or use batch over a JSON Lines file.');
    const c = await this.compile(sig, inputs, outputs);
    const { tf } = await this.runtime();
    const named: Record<string, import('@tensorflow/tfjs-core').Tensor> = {};
    try {
      for (const i of inputs) {
        const t = feeds[i.alias]!;
        const name = c.feeds.get(i.tensor)!;
        named[name] = tf.tensor(t.values as never, t.shape, t.dtype);
      }
      const outNames = outputs.map((o) => c.fetches.get(o.tensor)!);
      let res: import('@tensorflow/tfjs-core').Tensor | import('@tensorflow/tfjs-core').Tensor[];
      if (c.dynamic) res = await c.model.executeAsync(named, outNames);
      else {
        try {
          res = c.model.execute(named, outNames);
        } catch (err) {
          // Control flow or dynamic shapes: tfjs-converter needs the async executor for this graph.
          if (!/executeAsync/.test((err as Error).message)) throw err;
          c.dynamic = true;
          res = await c.model.executeAsync(named, outNames);
        }
      }
      const list = Array.isArray(res) ? res : [res];
      const out: Record<string, HostTensor> = {};
      outputs.forEach((o, k) => {
        const t = list[k]!;
        // dataSync() UTF-8 decodes string tensors; the backend's readSync keeps their bytes.
        const values = t.dtype === 'string' ? tf.backend().readSync(t.dataId) : t.dataSync();
        out[o.alias] = { dtype: t.dtype as JsDtype, shape: t.shape.slice(), values: values as HostTensor['values'] };
      });
      tf.dispose(list);
      return { outputs: out, backend: this.rt!.backend };
    } finally {
      tf.dispose(Object.values(named));
    }
  }

  /** The compiled graph's ops and weight shapes (benchmarks count FLOPs from them). */
  async graphInfo(sig: Signature): Promise<{ nodes: JsonNode[]; weightShapes: Map<string, number[]>; ops: Map<string, number> }> {
    const c = await this.compile(sig, sig.inputs, sig.outputs);
    return { nodes: c.topology, weightShapes: c.weightShapes, ops: c.ops };
  }

  /**
   * The shapes of graph tensors ("node:0" names of the compiled graph) for these feeds: benchmarks
   * count FLOPs from the output shapes of conv and matmul nodes.
   */
  async probeShapes(sig: Signature, feeds: Record<string, HostTensor>, tensors: string[]): Promise<number[][]> {
    const c = await this.compile(sig, sig.inputs, sig.outputs);
    const { tf } = await this.runtime();
    const named: Record<string, import('@tensorflow/tfjs-core').Tensor> = {};
    for (const i of sig.inputs) {
      const t = feeds[i.alias]!;
      named[c.feeds.get(i.tensor)!] = tf.tensor(t.values as never, t.shape, t.dtype);
    }
    try {
      const res = await c.model.executeAsync(named, tensors);
      const list = Array.isArray(res) ? res : [res];
      const shapes = list.map((t) => t.shape.slice());
      tf.dispose(list);
      return shapes;
    } finally {
      tf.dispose(Object.values(named));
    }
  }

  /** Frees the compiled graphs. */
  async dispose(): Promise<void> {
    for (const c of this.cache.values()) (await c.catch(() => undefined))?.model.dispose();
    this.cache.clear();
  }

  /** The graph of a signature, for explain's differentiability check. */
  async compiled(sig: Signature): Promise<Compiled> {
    return this.compile(sig, sig.inputs, sig.outputs);
  }
}

function memoryHandler(g: ExecutableGraph, _tf: unknown) {
  return {
    load: async () => ({
      modelTopology: g.topology,
      weightSpecs: g.weightSpecs,
      weightData: g.weightData,
      format: 'graph-model',
      generatedBy: 'servelens',
      convertedBy: 'ServeLens local runner',
    }),
  };
}

/** Our file-system IOHandler for tfjs graph models: model.json + its weight shards, concatenated. */
export async function readTfjsArtifacts(modelJson: string, json?: Record<string, unknown>) {
  const j = json ?? (JSON.parse(await readFile(modelJson, 'utf8')) as Record<string, unknown>);
  const manifest = (j.weightsManifest ?? []) as { paths: string[]; weights: WeightSpec[] }[];
  const dir = dirname(modelJson);
  const parts: Uint8Array[] = [];
  for (const group of manifest) for (const p of group.paths) parts.push(await readFileBounded(join(dir, decodeURIComponent(p))));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return {
    modelTopology: j.modelTopology as object,
    weightSpecs: manifest.flatMap((g) => g.weights) as never[],
    weightData: data.buffer,
    format: j.format as string,
    generatedBy: j.generatedBy as string,
    convertedBy: j.convertedBy as string,
    signature: j.signature as object,
    userDefinedMetadata: j.userDefinedMetadata as never,
  };
}
