/**
 * What the prediction routes of Vertex AI, AI Platform and TF Serving share: the request format,
 * the signature check against the model's real signatures (read with ServeLens's model reader), the
 * call to the configured `Predictor`, and the 501 when none is configured.
 *
 * The texts are TF Serving's own (the model servers behind Vertex AI and AI Platform are TF
 * Serving): `Serving signature name: "x" not found in signature def`, `Missing 'inputs' or
 * 'instances' key`, `Expected classification signature method_name to be ...`.
 */
import { servingSignatures } from '../../src/core/request/binding';
import type { Signature } from '../../src/core/model/types';
import type { EmuContext } from './context';
import { rpcError, type EmuResponse } from './http';
import { summaryOf } from './tfserving';
import type { Predictor, PredictorOptions } from './types';

export type Json = Record<string, unknown>;

/** A refusal before or by the model: the model server's text and the HTTP status it answers with. */
export interface ModelRefusal {
  refused: string;
  status: number;
  /** Refused on reading the request (format, signature), or by the model while running. */
  stage: 'request' | 'model';
}

/** What a model run gives: the predictor's answer, or a refusal. */
export type ModelRun = { answer: Json } | ModelRefusal;

export function isRefusal(v: ModelRun): v is ModelRefusal {
  return 'refused' in v;
}

export const isJsonObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** 501 UNIMPLEMENTED: the emulator has no local runner to run models with. */
export function noPredictor(what: string): EmuResponse {
  return rpcError(
    'UNIMPLEMENTED',
    `The ServeLens emulator was started without a local runner, so it cannot run ${what}. Start it with a predictor (startEmulator({ predictor })) to get real predictions.`,
  );
}

/** The request format from the body's keys (TF Serving's rule: exactly one of instances / inputs). */
export function formatOf(body: Json, method: PredictorOptions['method']): PredictorOptions['format'] | ModelRefusal {
  if (method !== 'predict') {
    return Array.isArray(body.examples) ? 'examples' : { refused: "Missing 'examples' key (a list of examples for classify / regress).", status: 400, stage: 'request' };
  }
  const rows = body.instances !== undefined;
  const cols = body.inputs !== undefined;
  if (rows && cols) return { refused: "Not allowed to have both 'instances' and 'inputs' keys in the request (use one of them).", status: 400, stage: 'request' };
  if (!rows && !cols) return { refused: "Missing 'inputs' or 'instances' key", status: 400, stage: 'request' };
  if (rows && !Array.isArray(body.instances)) return { refused: "Expected 'instances' to be a list/array.", status: 400, stage: 'request' };
  return rows ? 'row' : 'columnar';
}

const METHODS = {
  predict: ['tensorflow/serving/predict', 'tensorflow/serving/classify', 'tensorflow/serving/regress'],
  classify: ['tensorflow/serving/classify'],
  regress: ['tensorflow/serving/regress'],
} as const;

/** The signature a request runs, or TF Serving's refusal. */
export async function signatureFor(modelDir: string, name: string, method: PredictorOptions['method']): Promise<Signature | ModelRefusal> {
  let sigs: Signature[];
  try {
    sigs = servingSignatures(await summaryOf(modelDir));
  } catch (err) {
    return { refused: `Failed to read the SavedModel at ${modelDir}: ${err instanceof Error ? err.message : String(err)}`, status: 500, stage: 'request' };
  }
  const sig = sigs.find((s) => s.name === name);
  if (!sig) return { refused: `Serving signature name: "${name}" not found in signature def`, status: 400, stage: 'request' };
  const allowed: readonly string[] = METHODS[method];
  if (!allowed.includes(sig.method)) {
    const what = method === 'predict' ? 'prediction' : method === 'classify' ? 'classification' : 'regression';
    const want = method === 'predict' ? `one of {${allowed.join(', ')}}` : allowed[0]!;
    return { refused: `Expected ${what} signature method_name to be ${want}. Was: ${sig.method}`, status: 400, stage: 'request' };
  }
  return sig;
}

/**
 * Runs the predictor on a model folder: the signature named by the body's `signature_name` (or
 * `signature`, given by Vertex AI, which always serves serving_default), checked first.
 */
export async function runModel(
  predictor: Predictor,
  op: 'predict' | 'explain',
  modelDir: string,
  body: Json,
  method: PredictorOptions['method'],
  signature?: string,
): Promise<ModelRun> {
  const format = formatOf(body, method);
  if (typeof format !== 'string') return format;
  const name = signature ?? (typeof body.signature_name === 'string' && body.signature_name ? body.signature_name : 'serving_default');
  const sig = await signatureFor(modelDir, name, method);
  if ('refused' in sig) return sig;
  const opts: PredictorOptions = { signature: sig.name, format, method };
  try {
    const out = op === 'explain' ? await predictor.explain(modelDir, body, opts) : await predictor.predict(modelDir, body, opts);
    if (!isJsonObject(out)) return { refused: 'The local runner answered something that is not a JSON object.', status: 500, stage: 'model' };
    return { answer: out };
  } catch (err) {
    const status = (err as { status?: unknown }).status === 400 ? 400 : 500;
    return { refused: err instanceof Error ? err.message : String(err), status, stage: 'model' };
  }
}

/** Picks a deployed model by the traffic split, deterministically: the n-th request falls on slot n % 100. */
export function pickByTraffic<T extends { id: string }>(ctx: EmuContext, models: T[], split: Record<string, number> | undefined): T | undefined {
  const weighted = models.filter((m) => (split?.[m.id] ?? 0) > 0);
  if (weighted.length === 0) return models[0];
  const total = weighted.reduce((n, m) => n + split![m.id]!, 0);
  const slot = ctx.predictions++ % total;
  let acc = 0;
  for (const m of weighted) {
    acc += split![m.id]!;
    if (slot < acc) return m;
  }
  return weighted[weighted.length - 1];
}
