/**
 * Vertex Explainable AI's two model-agnostic-or-gradient methods, computed locally:
 *  - sampled Shapley (`pathCount` random permutations of the input elements; each path walks from
 *    the baseline to the instance adding one element at a time, so a path's marginals sum exactly to
 *    f(instance) − f(baseline));
 *  - integrated gradients (`stepCount` points on the straight line from the baseline, gradients by
 *    tf.grads through the TensorFlow.js graph, Riemann trapezoid sum). Only where every input is a
 *    float tensor and every op on the path has a gradient; otherwise it says so and suggests Shapley.
 * Baselines are zeros. Answers in Vertex's ExplainResponse shape.
 */
import type { Signature, TensorSpec } from '../model/types';
import { cancelled, invalidRequest, RunnerError } from './errors';
import type { Engine } from './engine';
import { parseBody, rowFeeds, rowPredictions, servingOutputs, validateOrThrow } from './predict';
import { sizeOf, type HostTensor } from './tensors';
import { ensureGradients } from './tfjs';
import { float32Json } from './values';

export type ExplainMethod = 'sampled-shapley' | 'integrated-gradients';

export interface ExplainOptions {
  method?: ExplainMethod;
  /** Sampled Shapley paths (Vertex: 1..50; default 10). */
  pathCount?: number;
  /** Integrated gradients steps (Vertex: 1..100; default 50). */
  stepCount?: number;
  signature?: string;
  /** The output alias explained (default the signature's first output). */
  output?: string;
  signal?: AbortSignal;
  /** Seed of the permutation sampler (runs are reproducible). */
  seed?: number;
}

export interface Attribution {
  baselineOutputValue: number;
  instanceOutputValue: number;
  featureAttributions: Record<string, unknown>;
  outputIndex: number[];
  outputName: string;
  approximationError: number;
}

export interface ExplainResult {
  body: { explanations: { attributions: Attribution[] }[]; predictions: unknown[] };
  signature: string;
  backend: string;
  method: ExplainMethod;
  ms: number;
}

/** The most model evaluations one instance may cost with sampled Shapley. */
export const MAX_SHAPLEY_EVALUATIONS = 200_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rowOf(t: HostTensor, i: number): HostTensor {
  const inner = t.shape.slice(1);
  const n = sizeOf(inner);
  if (t.dtype === 'string') return { dtype: t.dtype, shape: [1, ...inner], values: (t.values as Uint8Array[]).slice(i * n, (i + 1) * n) };
  const v = t.values as Float32Array | Int32Array | Uint8Array;
  return { dtype: t.dtype, shape: [1, ...inner], values: v.slice(i * n, (i + 1) * n) };
}

function numericInputs(sig: Signature, feeds: Record<string, HostTensor>): TensorSpec[] {
  return sig.inputs.filter((s) => feeds[s.alias]!.dtype !== 'string');
}

/** Picks the explained element of one output row: the arg-max of a multi-value output (the predicted class). */
function pickIndex(t: HostTensor): { flat: number; index: number[] } {
  const inner = t.shape.slice(1);
  const v = t.values as Float32Array;
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  const index: number[] = [];
  let rest = best;
  for (let d = inner.length - 1; d >= 0; d--) {
    index.unshift(rest % inner[d]!);
    rest = Math.floor(rest / inner[d]!);
  }
  return { flat: best, index: inner.length ? index : [] };
}

function shapeAttr(values: Float64Array, shape: number[]): unknown {
  const inner = shape.slice(1);
  if (inner.length === 0 || sizeOf(inner) === 1 && inner.every((d) => d === 1)) return float32Json(Math.fround(values[0]!));
  const nest = (depth: number, off: number): unknown => {
    if (depth === inner.length) return float32Json(Math.fround(values[off]!));
    const stride = sizeOf(inner.slice(depth + 1));
    return Array.from({ length: inner[depth]! }, (_, k) => nest(depth + 1, off + k * stride));
  };
  return nest(0, 0);
}

async function outputAt(engine: Engine, sig: Signature, out: TensorSpec, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const r = await engine.run(sig, feeds, { outputs: [out] });
  return r.outputs[out.alias]!;
}

/** Explains a Vertex-style body ({"instances": [...]}) on an engine. */
export async function explainWithEngine(engine: Engine, request: string | object, opts: ExplainOptions = {}): Promise<ExplainResult> {
  const method = opts.method ?? 'sampled-shapley';
  const { body, text } = parseBody(request);
  if (!Array.isArray(body.instances)) throw invalidRequest('Explain takes {"instances": [...]}, as Vertex AI\'s :explain does.');
  validateOrThrow(text, engine, opts.signature, 'vertex');
  const sig = engine.signature(typeof body.signature_name === 'string' ? body.signature_name : opts.signature);
  const outs = servingOutputs(sig);
  const out = opts.output ? outs.find((o) => o.alias === opts.output) : outs[0];
  if (!out) throw invalidRequest(`Signature "${sig.name}" has no output ${opts.output ?? ''} to explain.`);
  const instances = body.instances as unknown[];
  const t0 = performance.now();
  const feeds = rowFeeds(engine, sig, instances);
  const full = await engine.run(sig, feeds, { outputs: outs });
  const predictions = rowPredictions(sig, full.outputs, instances.length);
  const explanations: { attributions: Attribution[] }[] = [];
  for (let i = 0; i < instances.length; i++) {
    if (opts.signal?.aborted) throw cancelled();
    const one: Record<string, HostTensor> = {};
    for (const s of sig.inputs) one[s.alias] = rowOf(feeds[s.alias]!, i);
    const a = method === 'integrated-gradients'
      ? await integratedGradients(engine, sig, out, one, opts.stepCount ?? 50)
      : await sampledShapley(engine, sig, out, one, opts.pathCount ?? 10, opts.seed ?? 1, opts.signal);
    explanations.push({ attributions: [a] });
  }
  return { body: { explanations, predictions }, signature: sig.name, backend: full.backend, method, ms: performance.now() - t0 };
}

function zerosLike(t: HostTensor): HostTensor {
  return { dtype: t.dtype, shape: t.shape, values: t.dtype === 'float32' ? new Float32Array(sizeOf(t.shape)) : t.dtype === 'int32' ? new Int32Array(sizeOf(t.shape)) : new Uint8Array(sizeOf(t.shape)) };
}

async function sampledShapley(engine: Engine, sig: Signature, out: TensorSpec, x: Record<string, HostTensor>, pathCount: number, seed: number, signal?: AbortSignal): Promise<Attribution> {
  if (!Number.isInteger(pathCount) || pathCount < 1 || pathCount > 50) throw invalidRequest(`pathCount must be an integer from 1 to 50 (got ${pathCount}), as Vertex AI allows.`);
  const specs = numericInputs(sig, x);
  if (!specs.length) throw new RunnerError('not-available', `Signature "${sig.name}" has no numeric input to attribute.`);
  const players: { alias: string; k: number }[] = [];
  for (const s of specs) for (let k = 0; k < sizeOf(x[s.alias]!.shape); k++) players.push({ alias: s.alias, k });
  const P = players.length;
  if (P * pathCount > MAX_SHAPLEY_EVALUATIONS)
    throw new RunnerError('too-large', `Sampled Shapley over ${P} input values × ${pathCount} paths is more than ${MAX_SHAPLEY_EVALUATIONS} model runs.`, 'Use integrated gradients (--method integrated-gradients) for large inputs, or lower --path-count.');
  const base = Object.fromEntries(specs.map((s) => [s.alias, zerosLike(x[s.alias]!)]));
  const rand = mulberry32(seed);
  const attr = new Map(specs.map((s) => [s.alias, new Float64Array(sizeOf(x[s.alias]!.shape))]));
  let instanceValue = 0;
  let baselineValue = 0;
  let index: number[] = [];
  let flat = 0;
  {
    const fx = await outputAt(engine, sig, out, x);
    const pick = pickIndex(fx);
    flat = pick.flat;
    index = pick.index;
    instanceValue = (fx.values as Float32Array)[flat]!;
    const fb = await outputAt(engine, sig, out, { ...x, ...base });
    baselineValue = (fb.values as Float32Array)[flat]!;
  }
  for (let p = 0; p < pathCount; p++) {
    if (signal?.aborted) throw cancelled();
    const perm = Array.from({ length: P }, (_, k) => k);
    for (let k = P - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [perm[k], perm[j]] = [perm[j]!, perm[k]!];
    }
    // One batch of P+1 states: state s has the first s players of the permutation set to the instance.
    const batch: Record<string, HostTensor> = {};
    for (const s of sig.inputs) {
      const t = x[s.alias]!;
      const n = sizeOf(t.shape);
      if (t.dtype === 'string') {
        batch[s.alias] = { dtype: 'string', shape: [P + 1, ...t.shape.slice(1)], values: Array.from({ length: P + 1 }, () => t.values as Uint8Array[]).flat() };
        continue;
      }
      const Ctor = t.dtype === 'float32' ? Float32Array : t.dtype === 'int32' ? Int32Array : Uint8Array;
      batch[s.alias] = { dtype: t.dtype, shape: [P + 1, ...t.shape.slice(1)], values: new Ctor(n * (P + 1)) };
    }
    const state = new Map(specs.map((s) => [s.alias, new Float64Array(sizeOf(x[s.alias]!.shape))]));
    for (let st = 0; st <= P; st++) {
      if (st > 0) {
        const pl = players[perm[st - 1]!]!;
        state.get(pl.alias)![pl.k] = (x[pl.alias]!.values as Float32Array)[pl.k]!;
      }
      for (const s of specs) {
        const n = sizeOf(x[s.alias]!.shape);
        (batch[s.alias]!.values as Float32Array).set(state.get(s.alias)!, st * n);
      }
    }
    const fo = await outputAt(engine, sig, out, batch);
    const per = sizeOf(fo.shape.slice(1));
    const v = fo.values as Float32Array;
    for (let st = 1; st <= P; st++) {
      const pl = players[perm[st - 1]!]!;
      attr.get(pl.alias)![pl.k]! += (v[st * per + flat]! - v[(st - 1) * per + flat]!) / pathCount;
    }
  }
  let sum = 0;
  for (const a of attr.values()) for (const v of a) sum += v;
  const featureAttributions: Record<string, unknown> = {};
  for (const s of specs) featureAttributions[s.alias] = shapeAttr(attr.get(s.alias)!, x[s.alias]!.shape);
  return {
    baselineOutputValue: float32Json(baselineValue) as number,
    instanceOutputValue: float32Json(instanceValue) as number,
    featureAttributions,
    outputIndex: index,
    outputName: out.alias,
    approximationError: Math.abs(sum - (instanceValue - baselineValue)),
  };
}

async function integratedGradients(engine: Engine, sig: Signature, out: TensorSpec, x: Record<string, HostTensor>, stepCount: number): Promise<Attribution> {
  if (!Number.isInteger(stepCount) || stepCount < 1 || stepCount > 100) throw invalidRequest(`stepCount must be an integer from 1 to 100 (got ${stepCount}), as Vertex AI allows.`);
  const notFloat = sig.inputs.filter((s) => x[s.alias]!.dtype !== 'float32');
  const unavailable = (why: string) => new RunnerError('not-available', `Integrated gradients is not available for signature "${sig.name}": ${why}.`, 'Use sampled Shapley (--method sampled-shapley), which needs no gradients.', { signature: sig.name });
  if (notFloat.length) throw unavailable(`input${notFloat.length > 1 ? 's' : ''} ${notFloat.map((s) => `"${s.alias}" (${x[s.alias]!.dtype})`).join(', ')} cannot be differentiated`);
  const { tf } = await engine.runtime();
  if (!ensureGradients()) throw unavailable('the TensorFlow.js gradient functions (tfjs-gradients.js) are not installed beside the runner');
  const c = await engine.compiled(sig);
  const outName = c.fetches.get(out.tensor)!;
  const fx = await outputAt(engine, sig, out, x);
  const { flat, index } = pickIndex(fx);
  const fb = await outputAt(engine, sig, out, Object.fromEntries(sig.inputs.map((s) => [s.alias, zerosLike(x[s.alias]!)])));
  const instanceValue = (fx.values as Float32Array)[flat]!;
  const baselineValue = (fb.values as Float32Array)[flat]!;
  const m = stepCount;
  const names = sig.inputs.map((s) => c.feeds.get(s.tensor)!);
  // The path points alpha_k = k/m, k = 0..m, batched; trapezoid weights 1/2 at both ends.
  const alphas = Array.from({ length: m + 1 }, (_, k) => k / m);
  const sums: Float64Array[] = [];
  try {
    const grads = tf.tidy(() => {
      const xs = sig.inputs.map((s) => {
        const t = x[s.alias]!;
        const inst = tf.tensor(t.values as Float32Array, t.shape, 'float32');
        const a = tf.tensor(alphas, [m + 1, ...t.shape.slice(1).map(() => 1)]);
        return tf.mul(a, inst);
      });
      const f = (...ins: import('@tensorflow/tfjs-core').Tensor[]) => {
        const feed: Record<string, import('@tensorflow/tfjs-core').Tensor> = {};
        ins.forEach((t, k) => (feed[names[k]!] = t));
        const y = c.model.execute(feed, outName) as import('@tensorflow/tfjs-core').Tensor;
        const per = y.size / (m + 1);
        return tf.sum(tf.slice(tf.reshape(y, [m + 1, per]), [0, flat], [m + 1, 1]));
      };
      return tf.grads(f)(xs);
    });
    grads.forEach((g, k) => {
      const t = x[sig.inputs[k]!.alias]!;
      const n = sizeOf(t.shape);
      const gv = g.dataSync() as Float32Array;
      const acc = new Float64Array(n);
      for (let s = 0; s <= m; s++) {
        const w = s === 0 || s === m ? 0.5 : 1;
        for (let j = 0; j < n; j++) acc[j]! += (w * gv[s * n + j]!) / m;
      }
      const xv = t.values as Float32Array;
      for (let j = 0; j < n; j++) acc[j] = acc[j]! * xv[j]!;
      sums.push(acc);
    });
    tf.dispose(grads);
  } catch (err) {
    if (err instanceof RunnerError) throw err;
    throw unavailable(`TensorFlow.js cannot differentiate the graph (${(err as Error).message})`);
  }
  let sum = 0;
  for (const a of sums) for (const v of a) sum += v;
  const featureAttributions: Record<string, unknown> = {};
  sig.inputs.forEach((s, k) => (featureAttributions[s.alias] = shapeAttr(sums[k]!, x[s.alias]!.shape)));
  return {
    baselineOutputValue: float32Json(baselineValue) as number,
    instanceOutputValue: float32Json(instanceValue) as number,
    featureAttributions,
    outputIndex: index,
    outputName: out.alias,
    approximationError: Math.abs(sum - (instanceValue - baselineValue)),
  };
}
